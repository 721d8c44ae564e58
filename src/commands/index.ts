// Every command and group of drg, by path: the one list the program, `drg help` and completion are built from.
import type { AnyCommand, GroupDefinition } from '../cli/command.js';
import { defineGroup } from '../cli/command.js';
import { createApp } from './app/create.js';
import { deleteApp } from './app/delete.js';
import { editApp } from './app/edit.js';
import { getApp } from './app/get.js';
import { labelApp } from './app/label.js';
import { apply } from './apply/apply.js';
import { createAppCertCommand } from './cert/app-cert.js';
import { createDeviceCertCommand } from './cert/device-cert.js';
import { cmd } from './cmd/cmd.js';
import { completeWords, completion } from './completion/completion.js';
import {
  createContext,
  defaultApp,
  defaultContext,
  deleteContext,
  listContexts,
  renameContext,
  showConfig,
} from './config/config.js';
import { consoleCommand } from './console/console.js';
import { createDevice } from './device/create.js';
import { deleteDevice } from './device/delete.js';
import { editDevice } from './device/edit.js';
import { getDevice } from './device/get.js';
import { labelDevice } from './device/label.js';
import { setAlias, setGateway, setPassword, setPsk } from './device/set.js';
import { unsetAlias, unsetGateway } from './device/unset.js';
import { firmwareAgent } from './firmware/agent.js';
import { cancelRollout, pauseRollout, resumeRollout, retryRollout } from './firmware/control.js';
import { deleteFirmware } from './firmware/delete.js';
import { listFirmware } from './firmware/list.js';
import { pushFirmware } from './firmware/push.js';
import { rollout } from './firmware/rollout.js';
import { showFirmware } from './firmware/show.js';
import { firmwareStatus } from './firmware/status.js';
import { help } from './help/help.js';
import { login } from './login/login.js';
import { logout } from './login/logout.js';
import { whoami, whoamiEndpoints } from './login/whoami.js';
import { createMember } from './member/create.js';
import { deleteMember } from './member/delete.js';
import { editMember } from './member/edit.js';
import { getMember } from './member/get.js';
import { serve } from './serve/serve.js';
import { simulate } from './simulate/simulate.js';
import { stream } from './stream/stream.js';
import { createToken } from './token/create.js';
import { deleteToken } from './token/delete.js';
import { getToken } from './token/get.js';
import { transferAccept, transferCancel, transferInit } from './transfer/transfer.js';
import { version } from './version/version.js';

export const ROOT = {
  summary: 'Drogue IoT Cloud from the command line, and a local Drogue Cloud with `drg serve`',
  description: `Run \`drg help COMMAND\` (or \`drg COMMAND --help\`) for the options and examples of a command,
\`drg help output\` for output formats and exit codes, \`drg help environment\` for environment variables.
Shell completion: \`drg completion bash|zsh|fish\`.`,
};

export const GROUPS: GroupDefinition[] = [
  defineGroup({
    path: 'create',
    aliases: ['add'],
    summary: 'create applications, devices, members, access tokens and certificates',
  }),
  defineGroup({ path: 'get', summary: 'show applications, devices, members and access tokens' }),
  defineGroup({ path: 'delete', summary: 'delete applications, devices, members and access tokens' }),
  defineGroup({ path: 'edit', summary: 'change applications, devices and members in your editor, or from a file' }),
  defineGroup({
    path: 'set',
    summary:
      "change a device's credentials, gateways or aliases (read-modify-write: a concurrent change is a conflict)",
  }),
  defineGroup({ path: 'unset', summary: "remove a device's gateways or aliases" }),
  defineGroup({ path: 'label', summary: 'add, change (k=v) or remove (k-) labels of an application or device' }),
  defineGroup({
    path: 'config',
    aliases: ['context'],
    summary: 'manage the contexts (clusters and logins) in the drg config file',
  }),
  defineGroup({
    path: 'firmware',
    summary: 'firmware images, and rollouts that move a fleet to a version in safe stages',
  }),
  defineGroup({
    path: 'transfer',
    summary: 'hand an application over to another user: the owner starts, the new owner accepts',
  }),
];

export const COMMANDS: AnyCommand[] = [
  serve,
  login,
  logout,
  whoami,
  whoamiEndpoints,
  consoleCommand,
  version,
  listContexts,
  showConfig,
  defaultContext,
  deleteContext,
  defaultApp,
  renameContext,
  createContext,
  createApp,
  getApp,
  deleteApp,
  editApp,
  labelApp,
  createDevice,
  getDevice,
  deleteDevice,
  editDevice,
  labelDevice,
  setPassword,
  setGateway,
  setAlias,
  setPsk,
  unsetGateway,
  unsetAlias,
  apply,
  getMember,
  createMember,
  editMember,
  deleteMember,
  createToken,
  getToken,
  deleteToken,
  transferInit,
  transferAccept,
  transferCancel,
  createAppCertCommand,
  createDeviceCertCommand,
  stream,
  cmd,
  simulate,
  pushFirmware,
  listFirmware,
  showFirmware,
  deleteFirmware,
  rollout,
  firmwareStatus,
  pauseRollout,
  resumeRollout,
  cancelRollout,
  retryRollout,
  firmwareAgent,
  help,
  completion,
  completeWords,
] as AnyCommand[];
