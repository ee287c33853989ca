import { describe, expect, it } from 'vitest';
import { mergeValues, missingValuePaths, unbalancedBlocks, valueReferences } from './helm-chart';

describe('valueReferences', () => {
  it('finds every .Values path once, also through $ and inside pipelines', () => {
    const template = [
      'replicas: {{ .Values.replicaCount }}',
      'image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"',
      '{{- range $k, $v := .Values.config }}{{ $.Values.secret.existingSecret }}{{ end }}',
      'again: {{ .Values.replicaCount }}',
    ].join('\n');
    expect(valueReferences(template)).toEqual([
      ['config'],
      ['image', 'repository'],
      ['image', 'tag'],
      ['replicaCount'],
      ['secret', 'existingSecret'],
    ]);
  });
});

describe('missingValuePaths', () => {
  const values = { image: { tag: '', repository: 'r' }, secret: { keys: {} }, affinity: null };

  it('accepts present paths, including empty and null values', () => {
    expect(missingValuePaths(values, [['image', 'tag'], ['secret', 'keys'], ['affinity']])).toEqual([]);
  });

  it('names each path that leads nowhere', () => {
    expect(
      missingValuePaths(values, [
        ['image', 'digest'],
        ['ingress', 'enabled'],
        ['image', 'tag', 'x'],
      ]),
    ).toEqual(['image.digest', 'ingress.enabled', 'image.tag.x']);
  });
});

describe('unbalancedBlocks', () => {
  it('accepts paired blocks with whitespace trimming', () => {
    expect(unbalancedBlocks('{{- if .a }}{{ range .b }}x{{- end }}{{ end -}}')).toBeUndefined();
  });

  it('reports a block left open and an end without a block', () => {
    expect(unbalancedBlocks('{{ with .a }}{{ if .b }}{{ end }}')).toBe(
      '1 block(s) never closed by {{ end }}',
    );
    expect(unbalancedBlocks('x {{ end }}')).toBe('an {{ end }} without an opening block at offset 2');
  });
});

describe('mergeValues', () => {
  it('merges mappings key by key and replaces lists and scalars', () => {
    const defaults = {
      replicaCount: 1,
      config: { STORE: 'etcd', LOG_LEVEL: 'info' },
      tolerations: [{ key: 'a' }],
    };
    const overrides = { replicaCount: 3, config: { LOG_LEVEL: 'debug' }, tolerations: [] };
    expect(mergeValues(defaults, overrides)).toEqual({
      replicaCount: 3,
      config: { STORE: 'etcd', LOG_LEVEL: 'debug' },
      tolerations: [],
    });
    expect(defaults.config.LOG_LEVEL).toBe('info');
  });
});
