-- Reconciler: publishing posts. Its pass lists the pending targets of every `publishing` post (their
-- publish job may be gone: Redis lost its data, or an enqueue after the fan-out or after a retry
-- failed) and the `publishing` posts whose targets are all settled (the roll-up never ran). Both
-- queries start from the posts in `publishing` — few at any time, while `pending` targets also
-- include every scheduled post's — and reach their targets through post_targets_post_id_idx.
-- Ordered like the queries (soonest scheduled first).
create index posts_publishing_idx on public.posts (scheduled_at, id) where status = 'publishing';
