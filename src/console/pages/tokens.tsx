// Access tokens (to be built).
import { Page } from '../ui/common.js';

export function TokensPage() {
  return (
    <Page name="tokens" title="Access tokens">
      <p>Coming soon.</p>
    </Page>
  );
}
