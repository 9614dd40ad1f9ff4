/** The theme picker (the sidebar's footer and the Settings view both offer it). */
import type { Settings } from '../../shared/api-contract.js';

export function ThemeSelect({
  theme,
  onSettings,
  testId,
}: {
  theme: Settings['theme'];
  onSettings(patch: Partial<Settings>): void;
  testId?: string;
}) {
  return (
    <select value={theme} onChange={(e) => onSettings({ theme: e.target.value as Settings['theme'] })} data-testid={testId}>
      <option value="system">System</option>
      <option value="light">Light</option>
      <option value="dark">Dark</option>
    </select>
  );
}
