-- Endpoint signing secrets are encrypted at rest, as platform tokens are, and can be rotated.
--
-- The API and the worker seal each secret with the TokenCipher (AES-256-GCM, TOKEN_ENCRYPTION_KEY;
-- src/store/token-cipher.ts) bound to its endpoint (`<endpoint id>:webhook_secret`), so a ciphertext
-- copied to another row does not open. The key is not in the database, so this migration cannot
-- encrypt the secrets already stored: they stay in `secret` (in clear, as before) until the delivery
-- worker seals them at start (sealPlaintextSecrets) or their next delivery does; the reads take
-- either column meanwhile, and a row has exactly one of the two.
--
-- Rotation (POST /notification-endpoints/:id/rotate-secret): the new secret goes to
-- secret_ciphertext, the current one to previous_secret_ciphertext until previous_secret_expires_at
-- (NOTIFY_SECRET_ROTATION_WINDOW_MS later). Deliveries are signed with both until then, and the
-- previous one is dropped on the first read after.
alter table public.notification_endpoints
  alter column secret drop not null,
  add column secret_ciphertext text,
  add column previous_secret_ciphertext text,
  add column previous_secret_expires_at timestamptz;

alter table public.notification_endpoints
  add constraint notification_endpoints_one_secret check (pg_catalog.num_nonnulls(secret, secret_ciphertext) = 1),
  -- `v1.<key id>.<iv>.<ciphertext+tag>`, the TokenCipher format.
  add constraint notification_endpoints_secret_sealed
    check (secret_ciphertext ~ '^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
  add constraint notification_endpoints_previous_secret_sealed
    check (previous_secret_ciphertext ~ '^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
  add constraint notification_endpoints_previous_secret_window
    check ((previous_secret_ciphertext is null) = (previous_secret_expires_at is null));

comment on column public.notification_endpoints.secret is
  'Legacy: a signing secret stored in clear before 20261202010100; sealed into secret_ciphertext by the worker.';
comment on column public.notification_endpoints.secret_ciphertext is
  'The signing secret, sealed with TOKEN_ENCRYPTION_KEY (context <id>:webhook_secret). Never granted to clients.';
comment on column public.notification_endpoints.previous_secret_ciphertext is
  'The secret the last rotation replaced; it still signs until previous_secret_expires_at.';

-- The creator may see when the old secret stops working, never a secret.
grant select (previous_secret_expires_at) on public.notification_endpoints to authenticated;
