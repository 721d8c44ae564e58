// Device (to be built).
import { Page } from '../ui/common.js';

export function DevicePage({ app, device }: { app: string; device: string }) {
  return (
    <Page name="device" title="Device">
      <p>Coming soon.</p>
    </Page>
  );
}
