import { describe, expect, it } from 'vitest';
import { renderTemplate } from './helm-chart-render';

describe('renderTemplate', () => {
  it('reads fields, trims whitespace at {{- and -}}, and drops comments', () => {
    const template = 'a: {{ .Values.x }}\n{{- /* gone */}}\nb:   {{- " y" }}\n{{ .Values.y -}}   \n  c';
    expect(renderTemplate(template, { Values: { x: 1, y: 'z' } })).toBe('a: 1\nb: y\nzc');
  });

  it('prints a missing map key as nothing, and refuses a field of nil or printing a map', () => {
    expect(renderTemplate('[{{ .Values.absent }}]', { Values: {} })).toBe('[]');
    expect(() => renderTemplate('{{ .Values.absent.deeper }}', { Values: {} })).toThrow(
      'nil has no field deeper (at Values.absent) in {{ .Values.absent.deeper }}',
    );
    expect(() => renderTemplate('{{ .Values }}', { Values: {} })).toThrow('{{ .Values }} prints a map');
  });

  it('branches on Go truth with if / else if / else', () => {
    const template = '{{ if .a }}A{{ else if .b }}B{{ else }}none{{ end }}';
    expect(renderTemplate(template, { a: [1], b: true })).toBe('A');
    expect(renderTemplate(template, { a: [], b: 'x' })).toBe('B');
    expect(renderTemplate(template, { a: {}, b: 0 })).toBe('none');
  });

  it('rebinds dot with `with`, and ranges over lists and over maps in key order, keeping $', () => {
    const data = { name: 'r', list: ['x', 'y'], map: { b: 2, a: 1 }, inner: { v: 'w' } };
    expect(
      renderTemplate(
        '{{ with .inner }}{{ .v }}{{ $.name }}{{ end }}{{ with .none }}-{{ else }}+{{ end }}',
        data,
      ),
    ).toBe('wr+');
    expect(renderTemplate('{{ range .list }}{{ . }}{{ $.name }},{{ end }}', data)).toBe('xr,yr,');
    expect(renderTemplate('{{ range $k, $v := .map }}{{ $k }}={{ $v }};{{ end }}', data)).toBe('a=1;b=2;');
    expect(renderTemplate('{{ range .empty }}x{{ else }}empty{{ end }}', data)).toBe('empty');
  });

  it('includes defined templates, pipes into the last argument, and keeps variables to their block', () => {
    const template = [
      '{{- define "labels" -}}',
      'name: {{ .name }}',
      'tier: {{ default "web" .tier | quote }}',
      '{{- end -}}',
      '{{ $fullname := printf "%s-%v" .name 7 | trunc 6 | trimSuffix "-" }}',
      'metadata:',
      '  name: {{ $fullname }}',
      '  labels:',
      '    {{- include "labels" . | nindent 4 }}',
      '  spec: {{- toYaml .spec | nindent 4 }}',
    ].join('\n');
    expect(renderTemplate(template, { name: 'abcde', spec: { drop: ['ALL'] } })).toBe(
      '\nmetadata:\n  name: abcde\n  labels:\n    name: abcde\n    tier: "web"\n  spec:\n    drop:\n      - ALL',
    );
    expect(() => renderTemplate('{{ if true }}{{ $x := 1 }}{{ $x }}{{ end }}{{ $x }}', {})).toThrow(
      'undefined variable $x',
    );
  });

  it('evaluates the Sprig functions the charts use with their argument order', () => {
    const data = { config: { TLS: true }, release: 'my-collector' };
    expect(renderTemplate('{{ hasKey .config "TLS" }} {{ get .config "NONE" | quote }}', data)).toBe(
      'true ""',
    );
    expect(
      renderTemplate('{{ contains "collector" .release }} {{ ternary "s" "p" (hasKey .config "X") }}', data),
    ).toBe('true p');
    expect(renderTemplate('{{ upper "a_b" }} {{ replace "." "-" "a.b.c" }} {{ gt (int "3") 1 }}', data)).toBe(
      'A_B a-b-c true',
    );
    expect(renderTemplate('{{ print "a" 1 2 "b" }}', data)).toBe('a1 2b');
    expect(renderTemplate('{{ "x" | sha256sum }}', data)).toBe(
      '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
    );
  });

  it('refuses what is outside the subset and blocks left open', () => {
    expect(() => renderTemplate('{{ tpl .x . }}', {})).toThrow('unsupported function tpl in {{ tpl .x . }}');
    expect(() => renderTemplate('{{ if .a }}x', {})).toThrow('if .a is not closed by end');
    expect(() => renderTemplate('x{{ end }}', {})).toThrow('{{ end }} without an opening block');
    expect(() => renderTemplate('{{ $undeclared }}', {})).toThrow('undefined variable $undeclared');
  });
});
