// `node --import ./record-loads.mjs`: appends the URL of every ES module the process loads to $DRG_TEST_LOADS.
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.DRG_TEST_LOADS } });
