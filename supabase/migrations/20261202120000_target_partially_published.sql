-- An X thread whose later part failed for good keeps its first parts live: its target is
-- `partially_published` (src/domain/post.ts). A new enum value cannot be used in the transaction that
-- adds it, so it comes in a file of its own, before the content columns that use it.
alter type public.target_status add value if not exists 'partially_published';
