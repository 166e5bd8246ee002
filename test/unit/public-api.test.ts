/** Pins the public surface of plugin/index.ts: removing or renaming an export is a breaking change. */
import * as api from '../../plugin/index';

describe('plugin/index.ts public API', () => {
  it('exports exactly these runtime names', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'ERROR_CODES',
        'HOST_API_VERSION',
        'KNOWN_PERMISSIONS',
        'PERMISSIONS',
        'PluginConfigSchema',
        'PluginError',
        'PluginManifest',
        'activate',
        'deactivate',
        'isPluginError',
        'manifestJsonSchema',
        'parseConfig',
        'tablePrefix',
        'toPluginError',
      ].sort(),
    );
  });

  it('exports a PluginEntry: activate(host) and deactivate()', () => {
    expect(typeof api.activate).toBe('function');
    expect(api.activate.length).toBe(1);
    expect(typeof api.deactivate).toBe('function');
  });

  it('keeps the type exports a host implements (compile-time check)', () => {
    const entry: api.PluginEntry = { activate: api.activate, deactivate: api.deactivate };
    const apiVersion: api.HostPort['apiVersion'] = api.HOST_API_VERSION;
    const response: api.HostResponse = { kind: 'redirect', location: '/accounts' };
    expect([typeof entry.activate, apiVersion, response.kind]).toEqual(['function', '1.3.0', 'redirect']);
  });
});
