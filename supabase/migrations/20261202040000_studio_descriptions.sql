-- Descriptions for Supabase Studio. Studio's Table Editor shows a table's or view's comment under
-- its name and a column's comment beside the column; it reads them through postgres-meta
-- (obj_description for tables and views, col_description for columns). Until now nothing had one,
-- so Studio showed no descriptions at all. Comments are metadata only: no data, grant or plan changes.

-- ───────────────────────── the status view ─────────────────────────
comment on view public.post_status_overview is
  'One row per post, newest first: its status on each platform, links to the published posts, the last error and the lateness. Applies the caller''s RLS (security_invoker): creators see their own posts, Studio sees all.';
comment on column public.post_status_overview.post_id is 'The post (posts.id).';
comment on column public.post_status_overview.user_id is 'The creator who owns the post (auth.users.id).';
comment on column public.post_status_overview.scheduled_at is 'When the creator chose to publish it.';
comment on column public.post_status_overview.status is
  'The post as a whole: scheduled, publishing, published, partially_published, failed or cancelled.';
comment on column public.post_status_overview.x_status is
  'Each X target''s status (pending, publishing, published, failed, cancelled, unconfirmed), oldest first; empty when the post does not go to X.';
comment on column public.post_status_overview.instagram_status is
  'Each Instagram target''s status, oldest first; empty when the post does not go to Instagram.';
comment on column public.post_status_overview.linkedin_status is
  'Each LinkedIn target''s status, oldest first; empty when the post does not go to LinkedIn.';
comment on column public.post_status_overview.x_url is 'Links to the published X posts, space-separated.';
comment on column public.post_status_overview.instagram_url is 'Links to the published Instagram posts, space-separated.';
comment on column public.post_status_overview.linkedin_url is 'Links to the published LinkedIn posts, space-separated.';
comment on column public.post_status_overview.last_error_code is
  'The most recent error code of a target (e.g. auth_expired, content_invalid), else the post''s own; docs list every code.';
comment on column public.post_status_overview.last_error_message is 'What went wrong last, and what to do about it.';
comment on column public.post_status_overview.attempts is 'Publish attempts, all targets together.';
comment on column public.post_status_overview.lateness is
  'published_at minus scheduled_at: how late the post went out; empty until it is published.';
comment on column public.post_status_overview.published_at is 'When the last target was published.';
comment on column public.post_status_overview.version is 'The post''s version; every edit adds one.';
comment on column public.post_status_overview.updated_at is 'When the post row last changed.';

-- ───────────────────────── the tables ─────────────────────────
comment on table public.posts is
  'One row per scheduled post: the text, media and time the creator chose, and its overall status. Created and edited only through the API.';
comment on table public.post_targets is
  'One row per post and account: that platform''s status, attempts, the published post''s id and link, the last error, and the claim that keeps two workers from sending it twice.';
comment on table public.post_target_attempts is
  'The attempt log: one row per try to publish a target, with its outcome, the platform''s HTTP status, the error and the duration.';
comment on table public.social_accounts is
  'Connected X, Instagram and LinkedIn accounts. Tokens are stored only encrypted (AES-256-GCM) and are never granted to clients.';
comment on table public.idempotency_keys is
  'Idempotency-Key of POST /posts: a retried request replays the first answer instead of creating a second post. Rows are replaced after 24 hours.';
comment on table public.oauth_states is
  'Pending OAuth connections (10 minutes, single use): the SHA-256 of the state and the encrypted PKCE verifier. Server-side only.';
comment on table public.notifications is
  'What the creator is told: one row per post that published, failed or was cancelled, and per target that failed or is unconfirmed.';
comment on table public.notification_endpoints is
  'The creators'' own webhook receivers; deliveries are signed (Standard Webhooks). The signing secret is never granted to clients.';
comment on table public.notification_deliveries is
  'The delivery log: one row per try to POST a notification to an endpoint, with the HTTP status or the error and the duration.';
comment on table public.notification_test_sends is
  'Test events sent to endpoints, counted per creator to enforce NOTIFY_TEST_SEND_LIMIT; old rows are forgotten as new ones arrive.';
