/**
 * One help style for every command (issue 13): sentence-case descriptions, a default stated once
 * (as `(default: X)`) and never a quoted number, exactly one example that runs the command itself.
 * Walks the real program's command tree and renders each command's --help as the user sees it.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.js';

interface Page {
  path: string;
  command: Command;
  text: string;
}

function helpPages(): Page[] {
  const pages: Page[] = [];
  const walk = (cmd: Command, path: string) => {
    let text = '';
    cmd.configureOutput({ writeOut: (s) => (text += s) });
    cmd.outputHelp();
    pages.push({ path, command: cmd, text });
    for (const sub of cmd.commands) walk(sub, `${path} ${sub.name()}`);
  };
  walk(buildProgram(), 'lenscribe');
  return pages;
}

const pages = helpPages();

describe('lenscribe --help, every command', () => {
  it('covers every command and subcommand', () => {
    expect(pages.map((p) => p.path)).toEqual(
      expect.arrayContaining(['lenscribe', 'lenscribe serve', 'lenscribe export', 'lenscribe import-metadata', 'lenscribe models list']),
    );
    expect(pages.length).toBeGreaterThanOrEqual(18);
  });

  for (const { path, command, text } of pages) {
    it(`${path}: one example, sentence case, each default once, no quoted numbers`, () => {
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l === 'Example:');
      expect(
        lines.filter((l) => /example/i.test(l) && !l.startsWith('  $ ')),
        text,
      ).toEqual(['Example:']);
      // The example runs this command (an old name's example runs the command that replaced it).
      const replacedBy = /^Old name of (\S+)/.exec(command.description())?.[1];
      expect(lines[at + 1]).toMatch(new RegExp(`^  \\$ ${replacedBy ? `lenscribe ${replacedBy}` : path}( |$)`));
      expect(lines.filter((l) => l.startsWith('  $ '))).toHaveLength(1);

      const help = command.createHelp();
      const described = [
        command.description(),
        ...help.visibleOptions(command).map((o) => help.optionDescription(o)),
        ...help.visibleArguments(command).map((a) => help.argumentDescription(a)),
        ...help.visibleCommands(command).map((c) => help.subcommandDescription(c)),
      ];
      for (const d of described) {
        expect(d, `in ${path}`).toMatch(/^[A-Z]/);
        expect(d, `in ${path}`).not.toMatch(/\.$/);
        // Stated once, one way: commander's "(default: X)", or the same words where commander has no value to show.
        expect(d.match(/\(default: /g)?.length ?? 0, `in ${path}: ${d}`).toBeLessThanOrEqual(1);
        expect(d, `in ${path}`).not.toMatch(/\(default[^:]|default (is|was) /i);
      }
      expect(text).not.toMatch(/["'][\d.]+["']/);
    });
  }
});
