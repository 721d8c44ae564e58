// Events (to be built).
import { Page } from '../ui/common.js';

export function EventsPage({ app }: { app: string }) {
  return (
    <Page name="events" title="Events">
      <p>Coming soon.</p>
    </Page>
  );
}
