// npm run bench: every benchmark, each figure with its ratio to a baseline measured in the same run.

import { summary } from './lib.mjs';
import { benchLogin } from './login.mjs';
import { benchRegistry } from './registry.mjs';
import { benchStartup } from './startup.mjs';

const only = process.argv[2];
if (!only || only === 'startup') await benchStartup();
if (!only || only === 'registry') await benchRegistry();
if (!only || only === 'login') await benchLogin();
summary();
