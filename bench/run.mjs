// npm run bench: every benchmark, each figure with its ratio to a baseline measured in the same run.
// `npm run bench -- NAME` runs one: startup, registry, login, data-plane (or one of its parts: mqtt, http, idle),
// firmware, console.

import { benchConsole } from './console.mjs';
import { benchHttpTelemetry } from './data-plane-http.mjs';
import { benchIdleDevices } from './data-plane-idle.mjs';
import { benchMqtt } from './data-plane-mqtt.mjs';
import { benchFirmware } from './firmware.mjs';
import { summary } from './lib.mjs';
import { benchLogin } from './login.mjs';
import { benchRegistry } from './registry.mjs';
import { benchStartup } from './startup.mjs';

const only = process.argv[2];
const dataPlane = !only || only === 'data-plane';
if (!only || only === 'startup') await benchStartup();
if (!only || only === 'registry') await benchRegistry();
if (!only || only === 'login') await benchLogin();
if (dataPlane || only === 'mqtt') await benchMqtt();
if (dataPlane || only === 'http') await benchHttpTelemetry();
if (dataPlane || only === 'idle') await benchIdleDevices();
if (!only || only === 'firmware') await benchFirmware();
if (!only || only === 'console') await benchConsole();
summary();
