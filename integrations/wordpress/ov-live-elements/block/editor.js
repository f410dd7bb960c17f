/**
 * The Live room block in the editor: a server-rendered preview and its settings in the sidebar. Plain script, no
 * build step: it uses the editor's globals.
 */
(function (wp) {
  const el = wp.element.createElement;
  const __ = wp.i18n.__;
  const ServerSideRender = wp.serverSideRender;
  const { InspectorControls, useBlockProps } = wp.blockEditor;
  const { PanelBody, TextControl, ToggleControl, SelectControl } = wp.components;

  wp.blocks.registerBlockType('ov-live-elements/room', {
    edit({ attributes, setAttributes }) {
      const set = (key) => (value) => setAttributes({ [key]: value });
      const roomValid = '' === attributes.room || /^[A-Za-z0-9_-]{1,64}$/.test(attributes.room);
      return el(
        'div',
        useBlockProps(),
        el(
          InspectorControls,
          null,
          el(
            PanelBody,
            { title: __('Live room', 'ov-live-elements') },
            el(TextControl, {
              label: __('Room', 'ov-live-elements'),
              help: roomValid
                ? __('1–64 letters, digits, _ or -. Empty: the default room from the settings.', 'ov-live-elements')
                : __('Not a valid room name: the default room is used.', 'ov-live-elements'),
              value: attributes.room,
              onChange: set('room'),
            }),
            el(ToggleControl, {
              label: __('Join at once', 'ov-live-elements'),
              checked: attributes.autojoin,
              onChange: set('autojoin'),
            }),
            el(ToggleControl, {
              label: __('Replay clips (the last 30 s)', 'ov-live-elements'),
              checked: attributes.replay,
              onChange: set('replay'),
            }),
            el(SelectControl, {
              label: __('Screen sharing', 'ov-live-elements'),
              value: attributes.screenShare,
              options: [
                { value: 'auto', label: __('Where the browser can', 'ov-live-elements') },
                { value: 'on', label: __('Always', 'ov-live-elements') },
                { value: 'off', label: __('Never', 'ov-live-elements') },
              ],
              onChange: set('screenShare'),
            }),
            el(ToggleControl, {
              label: __('Snapshot button', 'ov-live-elements'),
              checked: attributes.snapshotButton,
              onChange: set('snapshotButton'),
            }),
            el(ToggleControl, {
              label: __('Clip list', 'ov-live-elements'),
              checked: attributes.clipList,
              onChange: set('clipList'),
            }),
          ),
        ),
        el(ServerSideRender, { block: 'ov-live-elements/room', attributes }),
      );
    },
    save() {
      return null;
    },
  });
})(window.wp);
