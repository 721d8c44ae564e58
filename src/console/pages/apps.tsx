// Applications (to be built).
import { Page } from '../ui/common.js';

export function AppsPage() {
  return (
    <Page name="apps" title="Applications">
      <p>Coming soon.</p>
    </Page>
  );
}
