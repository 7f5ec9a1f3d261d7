import { announcePostgresSkip, postgresSkip } from '../support/test-database.ts';
import { accountsContract } from './accounts.contract.ts';
import { memoryPostStoreHarness, postgresPostStoreHarness } from './post-store-harnesses.ts';

announcePostgresSkip();

accountsContract('memory', memoryPostStoreHarness);
accountsContract('postgres', postgresPostStoreHarness, { skip: postgresSkip });
