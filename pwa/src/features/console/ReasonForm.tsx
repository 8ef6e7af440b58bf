/** The triage desks' shared form pieces: a field's error line, and the one-reason decision form (不予立案, 不予督办). */
import { useState } from 'preact/hooks';
import { fieldMessages } from './triage-api';

export function FieldError(props: { id: string; message?: string }) {
  return props.message ? <p class="field-error" id={props.id} role="alert">{props.message}</p> : null;
}

/** What a triage decision does with its answer: the message to show, or the form's errors. */
export interface DecisionHooks {
  conflict: (e: unknown) => string | null;
  onDone: (message: string) => void;
  setErrors: (errors: Record<string, string>) => void;
  setBusy: (busy: boolean) => void;
}

/**
 * Send one decision: ``send`` answers the message for ``onDone``; a 409 (someone decided first)
 * becomes a message through ``conflict``; any other refusal goes to the form's field errors.
 */
export async function decide(send: () => Promise<string>, hooks: DecisionHooks): Promise<void> {
  hooks.setBusy(true);
  try {
    hooks.onDone(await send());
  } catch (e) {
    const other = hooks.conflict(e);
    if (other) hooks.onDone(other); else hooks.setErrors(fieldMessages(e));
  } finally {
    hooks.setBusy(false);
  }
}

/**
 * A decision that needs only a written reason: at least two characters (else ``missing`` under the
 * field), then ``send``; its answer is the message ``onDone`` shows. A 409 (someone decided first)
 * is turned into a message by ``conflict``; any other refusal is shown under the field.
 */
export function ReasonForm(props: {
  label: string; missing: string; confirm: string; inputId: string; errorId: string; testid: string;
  confirmTestid: string; send: (reason: string) => Promise<string>; conflict: (e: unknown) => string | null;
  onDone: (message: string) => void;
}) {
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (reason.trim().length < 2) {
      setErrors({ reason: props.missing });
      return;
    }
    await decide(() => props.send(reason.trim()), { conflict: props.conflict, onDone: props.onDone, setErrors, setBusy });
  };
  return (
    <form class="triage-form" onSubmit={submit} noValidate data-testid={props.testid}>
      <label for={props.inputId}>{props.label}</label>
      <textarea id={props.inputId} rows={3} value={reason} maxLength={500} aria-describedby={props.errorId}
        onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
      <FieldError id={props.errorId} message={errors.reason ?? errors._} />
      <button type="submit" class="btn primary" disabled={busy} data-testid={props.confirmTestid}>
        {busy ? '正在提交…' : props.confirm}</button>
    </form>
  );
}
