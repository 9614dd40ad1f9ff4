/**
 * A finished teach run's verdict and the choice it asks for (issue 13): better, mixed or worse
 * than the model in use, with the reason, and the buttons ordered by it. For a worse version
 * Discard is the primary action and "Use the new version" asks a second, inline confirmation
 * (the API refuses a worse version without it too); for a better one Use is primary; mixed
 * leaves both neutral.
 */
import { useState } from 'react';
import type { TeachVerdict } from '../../shared/api-contract.js';

const headline: Record<TeachVerdict['kind'], string> = {
  better: 'The new version does better than the model you use now',
  mixed: 'The new version is not clearly better',
  worse: 'The new version does worse than the model you use now',
};

export function VerdictBanner({ verdict }: { verdict: TeachVerdict }) {
  // The reason starts with its own label ("Worse: …"); the headline says it already.
  const reason = verdict.reason.replace(/^(Better|Mixed|Worse):\s*/, '');
  return (
    <div className={`teach-verdict verdict-${verdict.kind}`} role="status" data-testid="teach-verdict" data-verdict={verdict.kind}>
      <strong className="verdict-headline">{headline[verdict.kind]}</strong>
      <p className="verdict-reason" data-testid="teach-verdict-reason">
        {reason.charAt(0).toUpperCase() + reason.slice(1)}
      </p>
    </div>
  );
}

export function VersionChoice(props: { verdict: TeachVerdict; busy: boolean; onUse(confirmWorse: boolean): void; onDiscard(): void }) {
  const { verdict, busy } = props;
  const [confirming, setConfirming] = useState(false);
  const worse = verdict.kind === 'worse';
  const discard = (
    <button
      key="discard"
      className={worse || verdict.blocked ? 'primary large' : undefined}
      disabled={busy}
      onClick={props.onDiscard}
      data-testid="teach-discard"
    >
      Discard
    </button>
  );
  const use = (
    <button
      key="use"
      className={verdict.kind === 'better' ? 'primary large' : undefined}
      disabled={busy || confirming}
      onClick={() => (worse ? setConfirming(true) : props.onUse(false))}
      data-testid="teach-activate"
    >
      Use the new version
    </button>
  );
  if (verdict.blocked)
    return (
      <>
        <p className="teach-blocked" data-testid="teach-blocked">
          This version cannot be used: {verdict.blocked}. Discard it; teaching again with more of your photos usually helps.
        </p>
        <div className="button-row">{discard}</div>
      </>
    );
  return (
    <>
      <div className="button-row">{worse ? [discard, use] : [use, discard]}</div>
      {confirming && (
        <div className="teach-confirm" role="alertdialog" aria-labelledby="teach-confirm-text" data-testid="teach-confirm-worse">
          <p id="teach-confirm-text">
            Use a version that does worse on your own photos? Every photo without your caption will be re-captioned with it. You can roll
            back later.
          </p>
          <div className="button-row">
            <button className="danger" disabled={busy} onClick={() => props.onUse(true)} data-testid="teach-confirm-use">
              Use it anyway
            </button>
            <button autoFocus disabled={busy} onClick={() => setConfirming(false)} data-testid="teach-confirm-cancel">
              Keep the model I use now
            </button>
          </div>
        </div>
      )}
    </>
  );
}
