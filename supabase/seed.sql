-- Local development seed (`supabase db reset` runs it; `supabase db push` only with --include-seed).
-- One demo creator. Social accounts are not seeded here: their tokens must be encrypted by the
-- application with TOKEN_ENCRYPTION_KEY — use `npm run account:add` instead.
insert into auth.users (id, email)
values ('00000000-0000-4000-8000-000000000001', 'demo@solospark.local')
on conflict (id) do nothing;
