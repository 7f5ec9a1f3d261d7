-- Pending OAuth connections: POST /accounts/:platform/connect stores one row, the platform's redirect
-- to GET /accounts/:platform/callback takes it exactly once (DELETE … RETURNING), and rows expire after
-- 10 minutes (the API sets expires_at; saving a new state sweeps the expired ones).
-- Only the SHA-256 of the `state` is kept, so a leaked row cannot be replayed at the callback, and
-- the PKCE code verifier is an AES-256-GCM ciphertext made by the application (token-cipher.ts).

create table public.oauth_states (
  state_hash text primary key check (state_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid not null references auth.users (id) on delete cascade,
  platform public.platform not null,
  code_verifier_ciphertext text not null check (code_verifier_ciphertext ~ '^v1\.[0-9a-f]{16}\.'),
  redirect_uri text not null check (redirect_uri ~ '^https?://'),
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index oauth_states_expires_at_idx on public.oauth_states (expires_at);
create index oauth_states_user_id_idx on public.oauth_states (user_id);

-- Server-side only: RLS on with no policy for the API roles, and no grants to them, so neither
-- anon nor authenticated can read or write a row through the Data API. The service role and the table
-- owner (the API's database user) work with it.
alter table public.oauth_states enable row level security;
revoke all on public.oauth_states from anon, authenticated;
grant all on public.oauth_states to service_role;
