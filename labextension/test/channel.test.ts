/**
 * The channel's pending prompt: the kernel's `input_request` of an approval or of the model's question is kept until
 * a reply is sent (from the panel or the box under the cell) or the kernel goes idle; other prompts are not the run's.
 */
import { Signal } from '@lumino/signaling';

import { KernelChannel } from '../src/channel';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** What the channel uses of `window`: the `pagehide` listener. */
(globalThis as Any).window = { addEventListener() {}, removeEventListener() {} };

/** A kernel connection with the signals the channel connects to; `sendInputReply` records its replies. */
function fakeKernel(): Any {
  const kernel: Any = {
    id: 'k-1',
    clientId: 'client-1',
    isDisposed: false,
    replies: [] as [unknown, unknown][],
    registerCommTarget() {},
    removeCommTarget() {},
    requestCommInfo: () => Promise.resolve({ content: { status: 'ok', comms: {} } }),
    sendInputReply(content: unknown, parent: unknown) {
      kernel.replies.push([content, parent]);
    }
  };
  kernel.iopubMessage = new Signal(kernel);
  kernel.anyMessage = new Signal(kernel);
  kernel.statusChanged = new Signal(kernel);
  return kernel;
}

function channelOf(kernel: Any): KernelChannel {
  const sessionContext: Any = { session: { kernel } };
  sessionContext.kernelChanged = new Signal(sessionContext);
  return new KernelChannel(sessionContext);
}

function inputRequest(prompt: string, msgId = 'req-1'): Any {
  return {
    direction: 'recv',
    msg: {
      channel: 'stdin',
      header: { msg_id: msgId, msg_type: 'input_request' },
      parent_header: {},
      content: { prompt, password: false }
    }
  };
}

const QUESTION = 'Claude asks: Which year, 2024 or 2025?\nYour answer: ';
const APPROVAL = 'Run step 2? [y run it · n [reason] skip it · a run the rest of this run · q stop the run]: ';

describe('the pending prompt', () => {
  it("is the model's question, answered from the panel with the typed reply", () => {
    const kernel = fakeKernel();
    const channel = channelOf(kernel);
    let changes = 0;
    channel.promptChanged.connect(() => changes++);
    expect(channel.prompt).toBeNull();
    const request = inputRequest(QUESTION);
    kernel.anyMessage.emit(request);
    expect(channel.prompt).toBe(QUESTION);
    expect(changes).toBe(1);
    expect(channel.answerPrompt('2025, the last full year')).toBe(true);
    expect(kernel.replies).toEqual([[{ status: 'ok', value: '2025, the last full year' }, request.msg.header]]);
    expect(channel.prompt).toBeNull();
    expect(changes).toBe(2);
    expect(channel.answerPrompt('again')).toBe(false);
    expect(kernel.replies).toHaveLength(1);
    channel.dispose();
  });

  it('is the approval question too, and not any other input prompt', () => {
    const kernel = fakeKernel();
    const channel = channelOf(kernel);
    kernel.anyMessage.emit(inputRequest(APPROVAL));
    expect(channel.prompt).toBe(APPROVAL);
    kernel.anyMessage.emit(inputRequest('Your name: ', 'req-2'));
    expect(channel.prompt).toBeNull();
    expect(channel.answerPrompt('Ada')).toBe(false);
    channel.dispose();
  });

  it('ends when a reply is sent from elsewhere or the kernel goes idle', () => {
    const kernel = fakeKernel();
    const channel = channelOf(kernel);
    kernel.anyMessage.emit(inputRequest(QUESTION));
    // the box under the cell answered
    kernel.anyMessage.emit({ direction: 'send', msg: { channel: 'stdin', header: { msg_type: 'input_reply' } } });
    expect(channel.prompt).toBeNull();
    kernel.anyMessage.emit(inputRequest(QUESTION, 'req-2'));
    kernel.statusChanged.emit('busy');
    expect(channel.prompt).toBe(QUESTION);
    kernel.statusChanged.emit('idle');
    expect(channel.prompt).toBeNull();
    expect(kernel.replies).toEqual([]);
    channel.dispose();
  });
});
