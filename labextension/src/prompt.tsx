/**
 * The prompt a run waits on, as the panel's live card answers it: a step's `--approve` question (Run, Skip, Run all,
 * Quit) or the model's `ask_user` question (a reply box). Either answer goes back as the `input_reply` the box under
 * the cell would send.
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { approvalQuestion, isApprovalPrompt, isQuestionPrompt, questionOf } from './format';

/** The approval question of the step about to run, with buttons that answer it as the box under the cell does. */
function Approval({ prompt, answer }: { prompt: string; answer(value: string): void }): JSX.Element {
  const question = approvalQuestion(prompt);
  const answers: [string, string, string][] = [
    ['y', 'Run', 'Run this step (y)'],
    ['n', 'Skip', 'Do not run it; the model is told you declined (n)'],
    ['a', 'Run all', 'Run it and the rest of this run without asking (a)'],
    ['q', 'Quit', 'Stop the run before this step; its steps so far stay (q)']
  ];
  return (
    <div className="jp-codeact-approval" role="group" aria-label="Approve the step">
      <div className="jp-codeact-approvalQuestion">{question}</div>
      <div className="jp-codeact-actions">
        {answers.map(([reply, label, title]) => (
          <Button
            key={reply}
            small
            minimal={reply !== 'y'}
            className="jp-codeact-approve"
            data-answer={reply}
            title={title}
            onClick={() => answer(reply)}
          >
            {label}
          </Button>
        ))}
      </div>
    </div>
  );
}

/**
 * The model's question (`ask_user`) with a box for the reply: Answer (or Enter) sends it as the box under the cell
 * does; Skip sends an empty reply, and the model is told the user gave no answer.
 */
function Question({ prompt, answer }: { prompt: string; answer(value: string): void }): JSX.Element {
  const [reply, setReply] = useState('');
  const send = () => {
    if (reply.trim()) {
      answer(reply);
    }
  };
  return (
    <div className="jp-codeact-question" role="group" aria-label="Answer Claude's question">
      <div className="jp-codeact-label">Claude asks</div>
      <div className="jp-codeact-questionText">{questionOf(prompt)}</div>
      <input
        className="jp-mod-styled jp-codeact-questionInput"
        type="text"
        aria-label="Your answer"
        placeholder="Your answer"
        value={reply}
        onChange={event => setReply(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            event.preventDefault();
            send();
          }
        }}
      />
      <div className="jp-codeact-actions">
        <Button small className="jp-codeact-answer" disabled={!reply.trim()} title="Send this answer" onClick={send}>
          Answer
        </Button>
        <Button
          small
          minimal
          className="jp-codeact-skip"
          title="Give no answer: the model is told so, states its assumption and goes on"
          onClick={() => answer('')}
        >
          Skip
        </Button>
      </div>
    </div>
  );
}

/** The run's waiting prompt as the card answers it: a step's approval or the model's question. */
export function Prompt({ prompt, answer }: { prompt: string; answer(value: string): void }): JSX.Element | null {
  if (isApprovalPrompt(prompt)) {
    return <Approval prompt={prompt} answer={answer} />;
  }
  return isQuestionPrompt(prompt) ? <Question prompt={prompt} answer={answer} /> : null;
}
