// Getting started: for a device of the application, the exact commands to send a first message (mosquitto_pub,
// curl), to watch it arrive (drg stream) and to receive commands (mosquitto_sub), with this instance's endpoints.
import { useRef, useState } from 'preact/hooks';
import { listDevices } from '../api/devices.js';
import { useResource } from '../api/use-resource.js';
import { discovery } from '../auth/session.js';
import { href, Link } from '../router.js';
import { Busy, ErrorText, Page } from '../ui/common.js';
import { type FirstCommand, firstCommands, PASSWORD_VARIABLE } from './first-message.js';

export function GettingStartedPage({ app }: { app: string }) {
  const devices = useResource(`getting-started:${app}`, () => listDevices(app));
  const endpoints = useResource('discovery', () => discovery());
  const [picked, setPicked] = useState<string>();
  const names = (devices.data ?? []).map((d) => d.metadata.name);
  const device = picked ?? names[0];
  return (
    <Page name="getting-started" title="Getting started">
      <ErrorText error={devices.error ?? endpoints.error} />
      {(devices.loading || endpoints.loading) && !devices.data && <Busy />}
      {devices.data && names.length === 0 && (
        <p>
          This application has no devices yet. <Link href={href('apps', app, 'devices')}>Create one</Link> first.
        </p>
      )}
      {device !== undefined && (
        <>
          <div class="toolbar">
            <label class="inline" for="gs-device">
              Device
            </label>
            <select id="gs-device" value={device} onChange={(e) => setPicked(e.currentTarget.value)}>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            <Link href={href('apps', app, 'devices', device)}>Set its password</Link>
          </div>
          <p>
            The commands read the device's password from the shell variable <code>{PASSWORD_VARIABLE}</code>, so that it
            stays out of the commands and your shell's history. Set it first:
          </p>
          <CommandBlock command={{ title: 'Enter the password', command: `read -rs ${PASSWORD_VARIABLE}` }} />
          {endpoints.data &&
            firstCommands(endpoints.data, { app, device }).map((c) => <CommandBlock key={c.title} command={c} />)}
        </>
      )}
    </Page>
  );
}

function CommandBlock({ command }: { command: FirstCommand }) {
  const text = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command.command);
      setCopied('Copied.');
    } catch {
      // No clipboard (an insecure origin, a refused permission): the text is selected for Ctrl+C.
      const range = document.createRange();
      if (text.current) range.selectNodeContents(text.current);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      setCopied('Selected: press Ctrl+C to copy.');
    }
  };
  return (
    <section class="command-block" aria-label={command.title}>
      <header>
        <h2>{command.title}</h2>
        <button type="button" onClick={copy} aria-label={`Copy: ${command.title}`}>
          Copy
        </button>
        <span role="status" class="muted">
          {copied}
        </span>
      </header>
      <pre ref={text}>
        <code>{command.command}</code>
      </pre>
    </section>
  );
}
