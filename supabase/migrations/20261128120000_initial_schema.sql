-- SoloSpark Publisher: posts, their per-platform targets, connected accounts and the attempt log.
-- The state machine these statuses follow is written down in src/domain/post.ts.

create extension if not exists pgcrypto with schema extensions;

create type public.platform as enum ('x', 'instagram', 'linkedin');
create type public.post_status as enum (
  'scheduled', 'publishing', 'published', 'partially_published', 'failed', 'cancelled'
);
create type public.target_status as enum (
  'pending', 'publishing', 'published', 'failed', 'cancelled', 'unconfirmed'
);
create type public.account_status as enum ('active', 'needs_reconnect');
create type public.attempt_outcome as enum (
  'published', 'failed', 'retrying', 'deferred', 'unconfirmed', 'reconciled'
);

-- Keeps updated_at honest whatever client writes the row.
create or replace function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- ───────────────────────── social_accounts ─────────────────────────
create table public.social_accounts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  platform public.platform not null,
  external_id text not null check (length(external_id) between 1 and 200),
  display_name text check (length(display_name) <= 200),
  status public.account_status not null default 'active',
  scopes text[] not null default '{}',
  -- Tokens are AES-256-GCM ciphertexts made by the application (src/store/token-cipher.ts); the
  -- check refuses anything that is not in the encrypted format, so a plaintext token cannot land here.
  access_token_ciphertext text not null check (access_token_ciphertext ~ '^v1\.[0-9a-f]{16}\.'),
  refresh_token_ciphertext text check (refresh_token_ciphertext ~ '^v1\.[0-9a-f]{16}\.'),
  token_key_id text not null check (token_key_id ~ '^[0-9a-f]{16}$'),
  token_expires_at timestamptz,
  refreshed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, platform, external_id)
);
create index social_accounts_user_id_idx on public.social_accounts (user_id);
create trigger social_accounts_set_updated_at before update on public.social_accounts
  for each row execute function public.set_updated_at();

-- ───────────────────────── posts ─────────────────────────
create table public.posts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  text text not null check (length(text) <= 10000),
  media jsonb not null default '[]' check (jsonb_typeof(media) = 'array'),
  scheduled_at timestamptz not null,
  status public.post_status not null default 'scheduled',
  version integer not null default 1 check (version > 0),
  error_code text,
  error_message text,
  published_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Owner's list, newest first (API listing and its cursor).
create index posts_user_scheduled_idx on public.posts (user_id, scheduled_at desc, id desc);
-- Reconciler: every post still waiting to be published.
create index posts_scheduled_due_idx on public.posts (scheduled_at, id) where status = 'scheduled';
create trigger posts_set_updated_at before update on public.posts
  for each row execute function public.set_updated_at();

-- ───────────────────────── post_targets ─────────────────────────
create table public.post_targets (
  id uuid primary key default gen_random_uuid(),
  post_id uuid not null references public.posts (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Null once the account is disconnected; the worker then fails the target with account_disconnected.
  account_id uuid references public.social_accounts (id) on delete set null,
  platform public.platform not null,
  status public.target_status not null default 'pending',
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz,
  -- Held while publishing: only the claim holder may settle the row (compare-and-set).
  claim_token uuid,
  claimed_at timestamptz,
  external_id text,
  external_url text,
  error_code text,
  error_message text,
  published_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (post_id, account_id),
  check ((status = 'publishing') = (claim_token is not null)),
  check (status <> 'published' or external_id is not null)
);
create index post_targets_post_id_idx on public.post_targets (post_id);
create index post_targets_user_id_idx on public.post_targets (user_id);
create index post_targets_account_id_idx on public.post_targets (account_id);
-- Reconciler: targets stuck in publishing since before a cut-off.
create index post_targets_stuck_idx on public.post_targets (claimed_at) where status = 'publishing';
create trigger post_targets_set_updated_at before update on public.post_targets
  for each row execute function public.set_updated_at();

-- ───────────────────────── post_target_attempts (attempt log) ─────────────────────────
create table public.post_target_attempts (
  id bigint generated always as identity primary key,
  target_id uuid not null references public.post_targets (id) on delete cascade,
  post_id uuid not null references public.posts (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  attempt integer not null check (attempt >= 0),
  outcome public.attempt_outcome not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  duration_ms integer generated always as
    (greatest(0, (extract(epoch from (finished_at - started_at)) * 1000)::integer)) stored,
  platform_status integer,
  error_code text,
  error_message text check (length(error_message) <= 2000),
  external_id text
);
create index post_target_attempts_target_idx on public.post_target_attempts (target_id, started_at);
create index post_target_attempts_user_id_idx on public.post_target_attempts (user_id);

-- ───────────────────────── row level security ─────────────────────────
alter table public.social_accounts enable row level security;
alter table public.posts enable row level security;
alter table public.post_targets enable row level security;
alter table public.post_target_attempts enable row level security;

create policy "owner reads own accounts" on public.social_accounts
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "owner deletes own accounts" on public.social_accounts
  for delete to authenticated using ((select auth.uid()) = user_id);

create policy "owner reads own posts" on public.posts
  for select to authenticated using ((select auth.uid()) = user_id);
-- A post being published cannot be deleted under the worker; any other may (a deleted scheduled
-- post's job finds nothing to claim and is dropped).
create policy "owner deletes own posts unless publishing" on public.posts
  for delete to authenticated using ((select auth.uid()) = user_id and status <> 'publishing');

create policy "owner reads own targets" on public.post_targets
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "owner reads own attempts" on public.post_target_attempts
  for select to authenticated using ((select auth.uid()) = user_id);

-- ───────────────────────── grants ─────────────────────────
-- New Supabase projects no longer auto-grant: every privilege is explicit. anon gets nothing.
-- Posts are created and edited only through the API (the `posts` function), which validates content,
-- bumps `version` and (re)schedules the job; a direct Data API insert or edit would bypass all three.
-- Publishing state (statuses, claims, attempts) is written only by the server (service_role or the
-- table owner), so creators cannot mark their own posts published either.
revoke all on public.social_accounts, public.posts, public.post_targets, public.post_target_attempts
  from anon, authenticated;

-- Token ciphertexts stay out of reach of the Data API even for their owner.
grant select (id, user_id, platform, external_id, display_name, status, scopes, token_expires_at,
              refreshed_at, created_at, updated_at)
  on public.social_accounts to authenticated;
grant delete on public.social_accounts to authenticated;
grant select, delete on public.posts to authenticated;
grant select on public.post_targets, public.post_target_attempts to authenticated;

grant all on public.social_accounts, public.posts, public.post_targets, public.post_target_attempts
  to service_role;
grant usage on all sequences in schema public to service_role;
