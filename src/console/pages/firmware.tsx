// Firmware (to be built).
import { Page } from '../ui/common.js';

export function FirmwarePage({ app }: { app: string }) {
  return (
    <Page name="firmware" title="Firmware">
      <p>Coming soon.</p>
    </Page>
  );
}
