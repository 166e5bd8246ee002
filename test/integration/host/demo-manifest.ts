/** The manifest of the throw-away demo plugin the host tests install and scope: valid as it is; `overrides` replace whole keys. */
export function demoManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    manifestVersion: 1,
    id: 'demo-plugin',
    name: 'Demo',
    version: '1.0.0',
    engines: { host: '^1.0.0' },
    main: 'index.js',
    permissions: ['http:routes'],
    contributes: { routes: [{ id: 'demo-plugin.hello', method: 'GET', path: '/hello', auth: 'none' }] },
    ...overrides,
  };
}
