// `drg serve` (placeholder until the server lands).
export interface ServeCommandOptions {
  port: string;
  bind: string;
  dataDir?: string;
  mqttPort: string;
  mqttIntegrationPort: string;
  login: boolean;
  contextName?: string;
  config?: string;
  verbose?: boolean;
}

export async function run(_opts: ServeCommandOptions): Promise<void> {
  throw new Error('drg serve is not implemented yet');
}
