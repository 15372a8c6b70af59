/**
 * The dialogs of an undo asked for from the panel: the question before it is sent, and the kernel's answer (done,
 * refused because the user changed names or files since the runs, refused for another reason). The words are
 * `undo.ts`'s; the reports are the kernel's text, shown as it prints them.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import React from 'react';

import { IConfirmText, reportHeadline } from './undo';

/** Ask before undoing: Cancel or Undo. */
export async function confirmUndo(text: IConfirmText): Promise<boolean> {
  const result = await showDialog({
    title: text.title,
    body: (
      <div className="jp-codeact-undoConfirm">
        {text.body.map((paragraph, i) => (
          <p key={i}>{paragraph}</p>
        ))}
      </div>
    ),
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Undo' })]
  });
  return result.button.accept;
}

/** The kernel refused because the user changed names or files since the runs: true to undo anyway (`force`). */
export async function askUndoAnyway(runId: string, report: string): Promise<boolean> {
  const result = await showDialog({
    title: `Run ${runId} not undone`,
    body: <Report text={report} />,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Undo anyway' })]
  });
  return result.button.accept;
}

/** The kernel could not undo the run (nothing kept, still running, undone already...): the report, and OK. */
export async function showUndoRefused(runId: string, report: string): Promise<void> {
  await showDialog({
    title: `Run ${runId} not undone`,
    body: <Report text={report} />,
    buttons: [Dialog.okButton()]
  });
}

/** The undo was done: its first line as news, the whole report behind Details when there is more. */
export function showUndone(report: string): void {
  const headline = reportHeadline(report);
  const details =
    headline === report.trim()
      ? []
      : [
          {
            label: 'Details',
            callback: () =>
              void showDialog({ title: 'Undone', body: <Report text={report} />, buttons: [Dialog.okButton()] })
          }
        ];
  Notification.success(`codeact: ${headline}`, { autoClose: 6000, actions: details });
}

/** A report of the kernel, its lines and spaces kept. */
function Report({ text }: { text: string }): JSX.Element {
  return <pre className="jp-codeact-undoReport">{text}</pre>;
}
