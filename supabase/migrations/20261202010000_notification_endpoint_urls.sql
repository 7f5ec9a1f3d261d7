-- Endpoint URLs: the database keeps only the normalised form the API stores (src/net/endpoint-url.ts,
-- checkEndpointUrl: trimmed, parsed by the WHATWG URL parser, scheme and host lower-cased, plain
-- ASCII). The check of 20261128125500 (`url ~ '^https?://'`) was case-sensitive while the API
-- compared schemes case-insensitively, so `HTTPS://…` passed the API and failed here (a 500); and it
-- let through what the API refuses (whitespace, control characters, user names…).
--
-- is_stored_endpoint_url() is the shape of a stored URL, as STORED_ENDPOINT_URL in
-- src/net/endpoint-url.ts (same pattern text), plus what the WHATWG parser itself refuses and a
-- pattern cannot say: ports above 65535, a host ending in a number that is not an IPv4 address,
-- two `::` in an IPv6 literal. tests/integration/notify-endpoint-urls.test.ts runs one table of URLs
-- through this function and the API. Known limit: IDNA (punycode `xn--` labels) is checked by the
-- API's parser only.
create or replace function public.is_stored_endpoint_url(url text) returns boolean
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select pg_catalog.length(url) <= 2000
    and url ~ '^https?://(\[[0-9a-f:]+\]|[a-z0-9._-]+)(:[0-9]{1,5})?/[!-~]*$'
    and coalesce(pg_catalog.substring(url, '^https?://(?:\[[0-9a-f:]+\]|[a-z0-9._-]+):([0-9]{1,5})/')::integer, 0)
        <= 65535
    and case
      when host like '[%' then
        host ~ '^\[[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\]$' and host !~ '::.*::'
      -- The parser reads a host whose last label is a number as an IPv4 address and writes it as a
      -- dotted quad; any other such host is not a URL.
      when pg_catalog.substring(pg_catalog.regexp_replace(host, '\.$', ''), '([^.]*)$')
           ~ '^([0-9]+|0x[0-9a-f]*)$' then
        host ~ '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$'
      else true
    end
  from (select pg_catalog.substring(url, '^https?://(\[[0-9a-f:]+\]|[a-z0-9._-]+)') as host) parts
$$;

revoke all on function public.is_stored_endpoint_url(text) from public, anon, authenticated;

-- Rows saved before: trim them, lower-case scheme and host, and give them the `/` after the host the
-- parser adds — what the API would have stored. Rows that still do not fit keep working for
-- deliveries (each is checked again before it is sent); changing one asks for a new url (422).
update public.notification_endpoints e
set url = n.url
from (
  select id, pg_catalog.lower(m[1]) || case when m[2] like '/%' then m[2] else '/' || m[2] end as url
  from (
    select id, pg_catalog.regexp_match(pg_catalog.btrim(url, E' \t\n\r\f\v'), '^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)(.*)$') as m
    from public.notification_endpoints
  ) parsed
  where m is not null
) n
where e.id = n.id and e.url <> n.url;

alter table public.notification_endpoints drop constraint if exists notification_endpoints_url_check;
alter table public.notification_endpoints
  add constraint notification_endpoints_url_stored check (public.is_stored_endpoint_url(url)) not valid;

do $$
declare
  misfits bigint;
begin
  select count(*) into misfits from public.notification_endpoints where not public.is_stored_endpoint_url(url);
  if misfits = 0 then
    alter table public.notification_endpoints validate constraint notification_endpoints_url_stored;
  else
    raise warning 'notification_endpoints: % URL(s) do not fit the stored form; the constraint stays NOT VALID until they are changed', misfits;
  end if;
end
$$;
