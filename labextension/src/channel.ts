/**
 * The codeact channel of one notebook's kernel connection.
 *
 * Kernel -> frontend messages are read from `kernel.iopubMessage`, not from a comm's `onMsg`: the kernel is busy
 * for the whole run and publishes on a comm it opened itself, which a reloaded page never saw opened. A comm target
 * `codeact` is registered only to keep the kernel's comm open (without it JupyterLab closes the comm and drops the
 * message). Requests (`sync`, `export_request`) go on a comm this frontend opens; the kernel answers them when it is
 * next idle, on that comm, so the answers arrive through iopub as well.
 *
 * That comm is how the kernel knows a frontend inserts the runs' cells (it then keeps the `%%codeact` cell compact),
 * so it is closed whenever this page stops being one: the notebook closed, the kernel changed, and the page hidden
 * for good (`pagehide` of a reload or a closed tab, best effort: the close may not leave the page in time).
 *
 * It also watches the stdin channel for the run's prompts, which the kernel sends to the page that ran the cell:
 * `--approve`'s question (an `input_request` whose prompt starts with `Run step `) and the model's `ask_user` question
 * (`Claude asks: `), so the panel can answer them: the same `input_reply` the box under the cell sends.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { isApprovalPrompt, isQuestionPrompt } from './format';
import { COMM_TARGET, FrontendRequest, PROTOCOL, request } from './protocol';

/** The `data` of a comm message. */
type CommData = Parameters<Kernel.IComm['send']>[0];

/** One codeact message from the kernel, with what its Jupyter envelope says about it. */
export interface IIncoming {
  /** The comm message's `data`. */
  data: unknown;
  /** This connection sent the request the message belongs to (for a run: the `%%codeact` cell's execution). */
  startedHere: boolean;
  /** `parent_header.msg_id`, or null. */
  parentMsgId: string | null;
  /** The kernel's id, to tell kernels apart. */
  kernelId: string;
}

export class KernelChannel implements IDisposable {
  constructor(sessionContext: ISessionContext) {
    this._sessionContext = sessionContext;
    sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    this._attach(sessionContext.session?.kernel ?? null);
    window.addEventListener('pagehide', this._onPageHide);
  }

  /** A codeact message arrived from the kernel. */
  get received(): ISignal<this, IIncoming> {
    return this._received;
  }

  /** The kernel changed or restarted: its runs are gone. */
  get reset(): ISignal<this, void> {
    return this._reset;
  }

  /** A run's prompt (a step's approval, a question of the model) is asked, or answered. */
  get promptChanged(): ISignal<this, void> {
    return this._promptChanged;
  }

  /**
   * The run's prompt waiting for an answer on this page, or null: `--approve`'s question of a step
   * ({@link isApprovalPrompt}) or the model's `ask_user` question ({@link isQuestionPrompt}).
   */
  get prompt(): string | null {
    return this._prompt?.content.prompt ?? null;
  }

  /**
   * Answer the waiting prompt, as the box under the cell does: `y`, `n REASON`, `a`, `q` to an approval, the reply
   * (empty: none) to a question.
   *
   * @returns false when no prompt waits.
   */
  answerPrompt(value: string): boolean {
    const request = this._prompt;
    const kernel = this._kernel;
    if (!request || !kernel || kernel.isDisposed) {
      return false;
    }
    kernel.sendInputReply({ status: 'ok', value }, request.header as KernelMessage.IInputReplyMsg['parent_header']);
    this._setPrompt(null);
    return true;
  }

  /** {@link syncPending} or the kernel's status changed. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /**
   * This page asked the kernel for its runs (whether it has any, or the list) and has no answer yet: the kernel
   * answers once it is idle, so after a reload during a run this lasts until the run ends.
   */
  get syncPending(): boolean {
    return this._syncPending || this._probing;
  }

  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Send a request to the kernel, on this frontend's comm (opened on first use).
   *
   * @returns the request's message id (its reply has it as `parent_header.msg_id`), or null if it could not be sent.
   */
  send(message: FrontendRequest): string | null {
    const kernel = this._kernel;
    if (!kernel || kernel.isDisposed) {
      return null;
    }
    // plain JSON, though its generated type allows any extra field (`[k: string]: unknown`)
    const data = { ...message } as CommData;
    try {
      let future: Kernel.IShellFuture;
      if (this._comm && !this._comm.isDisposed) {
        future = this._comm.send(data);
      } else {
        const comm = kernel.createComm(COMM_TARGET);
        comm.onClose = () => {
          if (this._comm === comm) {
            this._comm = null;
          }
        };
        this._comm = comm;
        future = comm.open(data);
      }
      return future.msg.header.msg_id;
    } catch (reason) {
      console.warn('codeact: cannot send a request to the kernel', reason);
      return null;
    }
  }

  /** Ask the kernel for its runs (answered when it is next idle). */
  sync(): string | null {
    this._synced = true;
    const msgId = this.send(request('sync'));
    this._setSyncPending(msgId !== null);
    return msgId;
  }

  /** Interrupt the kernel: the magic ends its run as "stopped" and keeps the steps done. */
  async interrupt(): Promise<void> {
    await this._kernel?.interrupt();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.removeEventListener('pagehide', this._onPageHide);
    this._sessionContext.kernelChanged.disconnect(this._onKernelChanged, this);
    this._attach(null);
    Signal.clearData(this);
  }

  /** The page goes away (a reload, a closed tab): close the request comm, so the kernel stops counting this page. */
  private _onPageHide = (event: PageTransitionEvent): void => {
    if (!event.persisted && this._comm && !this._comm.isDisposed) {
      try {
        this._comm.close();
      } catch {
        // the connection is already gone
      }
      this._comm = null;
    }
  };

  private _onKernelChanged(
    _sender: ISessionContext,
    change: { newValue: Kernel.IKernelConnection | null }
  ): void {
    this._attach(change.newValue);
    this._reset.emit();
  }

  private _attach(kernel: Kernel.IKernelConnection | null): void {
    const old = this._kernel;
    if (old && !old.isDisposed) {
      old.iopubMessage.disconnect(this._onIOPub, this);
      old.anyMessage.disconnect(this._onAnyMessage, this);
      old.statusChanged.disconnect(this._onStatus, this);
      old.removeCommTarget(COMM_TARGET, keepOpen);
      if (this._comm && !this._comm.isDisposed) {
        try {
          this._comm.close();
        } catch {
          // the kernel is going away
        }
      }
    }
    this._comm = null;
    this._synced = false;
    this._syncPending = false;
    this._probing = false;
    this._setPrompt(null);
    this._kernel = kernel;
    if (!kernel) {
      return;
    }
    kernel.registerCommTarget(COMM_TARGET, keepOpen);
    kernel.iopubMessage.connect(this._onIOPub, this);
    kernel.anyMessage.connect(this._onAnyMessage, this);
    kernel.statusChanged.connect(this._onStatus, this);
    void this._probe(kernel);
  }

  /**
   * Sync if the kernel already has the codeact comm open (it had runs): this is how a reloaded page gets its runs
   * back. A kernel without the magic loaded is left alone (opening a comm to a missing target logs an error there).
   */
  private async _probe(kernel: Kernel.IKernelConnection): Promise<void> {
    this._probing = true;
    this._stateChanged.emit();
    try {
      const reply = await kernel.requestCommInfo({ target_name: COMM_TARGET });
      const content = reply.content;
      if (
        kernel === this._kernel &&
        !this._synced &&
        content.status === 'ok' &&
        Object.values(content.comms).some(c => c.target_name === COMM_TARGET)
      ) {
        this.sync();
      }
    } catch {
      // the kernel went away or does not answer comm_info: the first codeact message will trigger a sync
    } finally {
      if (kernel === this._kernel) {
        this._probing = false;
        this._stateChanged.emit();
      }
    }
  }

  /** A run's prompt arrives on stdin; any `input_reply` sent (the box under the cell, the panel) answers it. */
  private _onAnyMessage(kernel: Kernel.IKernelConnection, args: Kernel.IAnyMessageArgs): void {
    const msg = args.msg;
    if (msg.channel !== 'stdin') {
      return;
    }
    if (args.direction === 'recv' && msg.header.msg_type === 'input_request') {
      const request = msg as KernelMessage.IInputRequestMsg;
      const prompt = request.content.prompt;
      this._setPrompt(isApprovalPrompt(prompt) || isQuestionPrompt(prompt) ? request : null);
    } else if (args.direction === 'send' && msg.header.msg_type === 'input_reply') {
      this._setPrompt(null);
    }
  }

  private _setPrompt(request: KernelMessage.IInputRequestMsg | null): void {
    if (request !== this._prompt) {
      this._prompt = request;
      this._promptChanged.emit();
    }
  }

  private _onStatus(kernel: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'idle') {
      this._setPrompt(null); // the cell that asked has ended
    }
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._comm = null;
      this._synced = false;
      this._syncPending = false;
      this._reset.emit();
    }
    this._stateChanged.emit();
  }

  private _setSyncPending(value: boolean): void {
    if (value !== this._syncPending) {
      this._syncPending = value;
      this._stateChanged.emit();
    }
  }

  private _onIOPub(kernel: Kernel.IKernelConnection, msg: KernelMessage.IIOPubMessage): void {
    const type = msg.header.msg_type;
    if (type !== 'comm_msg' && type !== 'comm_open') {
      return;
    }
    const data = (msg.content as { data?: { protocol?: unknown } }).data;
    if (!data || data.protocol !== PROTOCOL) {
      return;
    }
    const parent = msg.parent_header as Partial<KernelMessage.IHeader>;
    if ((data as { type?: unknown }).type === 'runs') {
      this._setSyncPending(false);
    }
    this._received.emit({
      data,
      startedHere: parent.session === kernel.clientId,
      parentMsgId: parent.msg_id ?? null,
      kernelId: kernel.id
    });
    if (!this._synced) {
      // The magic is loaded and this page has not asked for the kernel's runs yet (a reload during a run, or the
      // first run of this kernel): ask now; the kernel answers once it is idle.
      this.sync();
    }
  }

  private _sessionContext: ISessionContext;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _synced = false;
  private _syncPending = false;
  private _probing = false;
  private _isDisposed = false;
  private _received = new Signal<this, IIncoming>(this);
  private _reset = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, void>(this);
  private _prompt: KernelMessage.IInputRequestMsg | null = null;
  private _promptChanged = new Signal<this, void>(this);
}

/**
 * The `codeact` comm target: keeps the kernel's comm open. Its messages are read from iopub (see the module
 * docstring), so nothing is processed here, or they would be processed twice.
 */
function keepOpen(): void {
  // nothing to do
}
