-- Idempotency-Key support for POST /posts: a retried request replays the first response and creates
-- nothing new. The API reserves (user_id, key) before creating the post — the primary key makes one
-- of two concurrent requests win — and stores the response once the first request finished.
-- Rows older than the API's retention (24 h) are replaced on the next use of the key.

create table public.idempotency_keys (
  user_id uuid not null references auth.users (id) on delete cascade,
  key text not null check (length(key) between 1 and 255),
  -- sha-256 (hex) of the method, path and body of the first request
  request_hash text not null check (request_hash ~ '^[0-9a-f]{64}$'),
  -- null while the first request is still running
  response_status integer check (response_status between 100 and 599),
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
create index idempotency_keys_created_at_idx on public.idempotency_keys (created_at);

alter table public.idempotency_keys enable row level security;

create policy "owner reads own idempotency keys" on public.idempotency_keys
  for select to authenticated using ((select auth.uid()) = user_id);

-- Written only by the server (service_role or the table owner); creators may read their own.
revoke all on public.idempotency_keys from anon, authenticated;
grant select on public.idempotency_keys to authenticated;
grant all on public.idempotency_keys to service_role;
