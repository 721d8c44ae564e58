// Application (to be built).
import { Page } from '../ui/common.js';

export function AppOverviewPage({ app }: { app: string }) {
  return (
    <Page name="app-overview" title="Application">
      <p>Coming soon.</p>
    </Page>
  );
}
