import { closestName } from '@message-bus/server-kit';

/**
 * One line for a command that does not exist: what was typed, the closest command if
 * one is near, and where the list of commands is.
 *
 * @param typed    the command as typed, words separated by spaces (`links frob`)
 * @param commands every command the same way (`links list`, `events`, ...)
 */
export function unknownCommandMessage(typed: string, commands: readonly string[], bin: string): string {
  if (typed.startsWith('-')) {
    return `${typed} is not a flag of \`${bin}\` itself; flags go after a command (see \`${bin} --help\`)`;
  }
  const near = closestName(typed, commands);
  const suggestion = near === undefined ? '' : `did you mean \`${bin} ${near}\`? `;
  const [topic = '', ...rest] = typed.split(' ');
  const topicCommands = commands
    .filter((command) => command.startsWith(`${topic} `))
    .map((command) => command.slice(topic.length + 1));
  if (rest.length > 0 && topicCommands.length > 0) {
    return `\`${bin} ${topic}\` has no command ${JSON.stringify(rest.join(' '))}; ${suggestion}its commands are ${topicCommands.join(', ')} (see \`${bin} ${topic} --help\`)`;
  }
  return `${JSON.stringify(typed)} is not a command of ${bin}; ${suggestion}see \`${bin} --help\``;
}
