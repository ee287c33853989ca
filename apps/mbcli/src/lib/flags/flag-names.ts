import { closestName } from '@message-bus/server-kit';

/** What these helpers read of oclif's flag definitions. */
type FlagDefinitions = Readonly<Record<string, { readonly aliases?: string[]; readonly hidden?: boolean }>>;

/**
 * The flags with a kebab-case alias for every snake_case name (`--detector-ids` for
 * `--detector_ids`), as users of most other CLIs type them. The snake_case name stays
 * the one the help shows (the original's and the README's); oclif hides aliases.
 */
export function withKebabAliases<T extends FlagDefinitions>(flags: T): T {
  return Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => {
      const kebab = name.replaceAll('_', '-');
      if (kebab === name || flag.aliases?.includes(kebab)) return [name, flag];
      return [name, { ...flag, aliases: [...(flag.aliases ?? []), kebab] }];
    }),
  ) as T;
}

/**
 * One line for flags a command does not have, with the closest flag it does have:
 * `unknown flag --detector_id; did you mean --detector_ids?`.
 *
 * @param typed    the unknown flags as typed (`--detector_id`, `--after=1769760000`)
 * @param flags    the command's flags, with their aliases
 * @param command  the command as typed (`mbcli events`), for the help hint
 */
export function unknownFlagMessage(typed: readonly string[], flags: FlagDefinitions, command: string): string {
  const names = typed.map((flag) => flag.split('=')[0] ?? flag);
  const candidates = Object.entries(flags).flatMap(([name, flag]) =>
    flag.hidden ? [] : [name, ...(flag.aliases ?? [])],
  );
  const suggestions = names.flatMap((name) => {
    const near = closestName(name.replace(/^-+/, ''), candidates);
    return near === undefined ? [] : [`--${near}`];
  });
  const unknown = `unknown flag${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
  const hint = `see \`${command} --help\``;
  if (names.length === 1 && suggestions.length === 1) return `${unknown}; did you mean ${suggestions[0]}?`;
  return suggestions.length === 0 ? `${unknown}; ${hint}` : `${unknown}; did you mean ${suggestions.join(', ')}? ${hint}`;
}
