import { readFileSync } from 'node:fs';

interface Dashboard {
  readonly panels: readonly { readonly title: string; readonly targets: readonly { readonly expr: string }[] }[];
}

/** Every `expr` of the Grafana dashboard in the repo (tracker/grafana/peercdn.json), with its panel's title. */
export function dashboardQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(
    readFileSync(new URL('../../tracker/grafana/peercdn.json', import.meta.url), 'utf8'),
  ) as Dashboard;
  return dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })),
  );
}
