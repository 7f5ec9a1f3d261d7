import { announcePostgresSkip, postgresSkip } from '../support/test-database.ts';
import { memoryPostStoreHarness, postgresPostStoreHarness } from './post-store-harnesses.ts';
import { postsContract } from './posts.contract.ts';

announcePostgresSkip();

postsContract('memory', memoryPostStoreHarness);
postsContract('postgres', postgresPostStoreHarness, { skip: postgresSkip });
