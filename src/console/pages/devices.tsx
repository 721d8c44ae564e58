// Devices (to be built).
import { Page } from '../ui/common.js';

export function DevicesPage({ app }: { app: string }) {
  return (
    <Page name="devices" title="Devices">
      <p>Coming soon.</p>
    </Page>
  );
}
