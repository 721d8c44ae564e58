// Getting started (to be built).
import { Page } from '../ui/common.js';

export function GettingStartedPage({ app }: { app: string }) {
  return (
    <Page name="getting-started" title="Getting started">
      <p>Coming soon.</p>
    </Page>
  );
}
