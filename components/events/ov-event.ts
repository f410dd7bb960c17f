/** Base of every `ov-*` DOM event: bubbles, crosses shadow roots, carries a typed `detail`. */
export class OvEvent<D> extends Event {
  constructor(
    type: string,
    readonly detail: D,
  ) {
    super(type, { bubbles: true, composed: true });
  }
}
