/**
 * A test certificate authority and a server certificate it signed for the names below, so tests can
 * serve https on loopback and check that a guarded connection validates the certificate against the
 * URL's host name (not the address it connects to). Made once, valid until 2126, with:
 *
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem \
 *     -days 36500 -subj "/CN=SoloSpark Test CA" -addext "basicConstraints=critical,CA:TRUE" \
 *     -addext "keyUsage=critical,keyCertSign,cRLSign"
 *   openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key -out leaf.csr \
 *     -subj "/CN=media.solospark.test"
 *   openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 36500 \
 *     -extfile leaf.ext   # CA:FALSE, digitalSignature, serverAuth, subjectAltName=DNS:<TEST_TLS_NAMES>
 *
 * The CA's key was thrown away. OTHER_CA_PEM is an unrelated CA (trusting it must not trust the server).
 * `.test` names are reserved (RFC 2606): no real resolver answers them.
 */

/** The names the server certificate is valid for. */
export const TEST_TLS_NAMES = ['media.solospark.test', 'hooks.solospark.test'] as const;

export const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBoDCCAUWgAwIBAgIUHtwqpzL/RlBuCSMcIzqe2w3FX5MwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRU29sb1NwYXJrIFRlc3QgQ0EwIBcNMjYxMjAyMDEwODI2WhgP
MjEyNjExMDgwMTA4MjZaMBwxGjAYBgNVBAMMEVNvbG9TcGFyayBUZXN0IENBMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEt+1LQoY/rtw5f3wm+l+fFG3ENXrbbE12
5OmMLzSMRD6I6926qZ1vLJOF3lqluxxo+q56kfVl9N7YAXhId8A/pKNjMGEwHQYD
VR0OBBYEFMnkWI03WJGKeEwj5HQMU4dkE72MMB8GA1UdIwQYMBaAFMnkWI03WJGK
eEwj5HQMU4dkE72MMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoG
CCqGSM49BAMCA0kAMEYCIQD9vorBIcbidxJywnLJTsLVyhsie8EZOQtrpRI3QZbv
5AIhAJS1P5swcWb/QAw+5wwbL//vN86x4IE+saH5Ye4BNO/v
-----END CERTIFICATE-----
`;

export const TEST_SERVER_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIB7DCCAZOgAwIBAgIUccJNsSGjMugqjB1dw4dl04Jo6B0wCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRU29sb1NwYXJrIFRlc3QgQ0EwIBcNMjYxMjAyMDEyMTIyWhgP
MjEyNjExMDgwMTIxMjJaMB8xHTAbBgNVBAMMFG1lZGlhLnNvbG9zcGFyay50ZXN0
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEMsc1Xzz5f36tPTyHDIzwjNn/6gPg
GXiT3hYtmeLbOTi9S9ojtbIKQjRbf2dKHhbBRq19O3Qqw2vlJoRdrrEnlqOBrTCB
qjAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEF
BQcDATA1BgNVHREELjAsghRtZWRpYS5zb2xvc3BhcmsudGVzdIIUaG9va3Muc29s
b3NwYXJrLnRlc3QwHQYDVR0OBBYEFGw6Q8WVkevuxXF/91mQR2quuVuHMB8GA1Ud
IwQYMBaAFMnkWI03WJGKeEwj5HQMU4dkE72MMAoGCCqGSM49BAMCA0cAMEQCIH1z
cZHMNhfMbltqoyVrmZ+o+L2YdkEsaJiqFREj5nq5AiBlWb6K2kNmm10REJD5uPa6
pn9J56VjP+GjvektZw3jEA==
-----END CERTIFICATE-----
`;

export const TEST_SERVER_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCdnNQYNsfvMfu/fw
ANjeojT+6t5ExyMjtiptor7A82GhRANCAAQyxzVfPPl/fq09PIcMjPCM2f/qA+AZ
eJPeFi2Z4ts5OL1L2iO1sgpCNFt/Z0oeFsFGrX07dCrDa+UmhF2usSeW
-----END PRIVATE KEY-----
`;

export const OTHER_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBljCCAT2gAwIBAgIURk5jeYLz1gTlfOew+6jaRPfVQhQwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNU29tZSBPdGhlciBDQTAgFw0yNjEyMDIwMTIxMjJaGA8yMTI2
MTEwODAxMjEyMlowGDEWMBQGA1UEAwwNU29tZSBPdGhlciBDQTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABKOUBWxBBUeAtG7zwzcanJF3AM9Zm4BqLehZD0UlI/jk
9Izsa3msExsO1dtF80aNeX4NIaOfFHKg21LnxqqJNCqjYzBhMB0GA1UdDgQWBBRG
d61gijsQhfRFJnovntlBmpdPwzAfBgNVHSMEGDAWgBRGd61gijsQhfRFJnovntlB
mpdPwzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQD
AgNHADBEAiB4d1z4bwzxnMNANnjVlE/LaTSuKRzupnoHw3Ih5fR41AIgTjeo1tLi
0J8EMZKM6JA34IsV8PsZKgxPsKF0CM8Kg5k=
-----END CERTIFICATE-----
`;
