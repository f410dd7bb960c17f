<?php
/**
 * The Live room block (ov-live-elements/room): the room, its snapshot button and its clip list, rendered on the
 * server. The editor shows a summary instead, since the bundle is not loaded there.
 *
 * @package OV_Live_Elements
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers the editor script and the block.
 */
function ov_live_elements_register_block() {
	wp_register_script(
		'ov-live-elements-room-editor',
		plugins_url( 'block/editor.js', OV_LIVE_ELEMENTS_FILE ),
		array( 'wp-blocks', 'wp-element', 'wp-components', 'wp-block-editor', 'wp-server-side-render', 'wp-i18n' ),
		OV_LIVE_ELEMENTS_VERSION,
		true
	);
	// Translations come from WordPress.org's language packs, which WordPress loads by the text domain.
	wp_set_script_translations( 'ov-live-elements-room-editor', 'ov-live-elements' );
	register_block_type( OV_LIVE_ELEMENTS_DIR . '/block', array( 'render_callback' => 'ov_live_elements_render_block' ) );
}
add_action( 'init', 'ov_live_elements_register_block' );

/**
 * Notes when a request is the editor's preview of this block (the block renderer REST route).
 *
 * @param mixed           $result  The response so far (passed on unchanged).
 * @param WP_REST_Server  $server  The REST server.
 * @param WP_REST_Request $request The request.
 * @return mixed
 */
function ov_live_elements_note_preview( $result, $server, $request ) {
	if ( str_starts_with( $request->get_route(), '/wp/v2/block-renderer/ov-live-elements/' ) ) {
		$GLOBALS['ov_live_elements_block_preview'] = true;
	}
	return $result;
}
add_filter( 'rest_pre_dispatch', 'ov_live_elements_note_preview', 10, 3 );

/**
 * The block's markup: `<ov-live-room id="ov-room-N">`, then `<ov-snapshot-button for>` and `<ov-clip-list for>`.
 *
 * @param array<string, mixed> $attributes The block's attributes.
 * @return string
 */
function ov_live_elements_render_block( $attributes ) {
	$room   = ov_live_elements_room_or_default( $attributes['room'] ?? '' );
	$screen = (string) ( $attributes['screenShare'] ?? 'auto' );
	$screen = in_array( $screen, array( 'auto', 'on', 'off' ), true ) ? $screen : 'auto';
	if ( ! empty( $GLOBALS['ov_live_elements_block_preview'] ) ) {
		return ov_live_elements_block_preview( $room, $attributes );
	}
	$id   = wp_unique_id( 'ov-room-' );
	$html = ov_live_elements_room_html(
		array(
			'room'         => $room,
			'id'           => $id,
			'autojoin'     => ! empty( $attributes['autojoin'] ),
			'replay'       => ! empty( $attributes['replay'] ),
			'screen_share' => $screen,
			'no_audio'     => false,
			'no_video'     => false,
		)
	);
	// Without a room (not set up, or visitors who must log in), the button and the list have nothing to link to.
	if ( ! str_contains( $html, '<ov-live-room' ) ) {
		return '<div ' . get_block_wrapper_attributes() . '>' . $html . '</div>';
	}
	if ( $attributes['snapshotButton'] ?? true ) {
		$html .= ov_live_elements_snapshot_button_html(
			array(
				'for'     => $id,
				'format'  => '',
				'quality' => '',
			)
		);
	}
	if ( $attributes['clipList'] ?? true ) {
		$html .= ov_live_elements_clip_list_html(
			array(
				'room'             => $room,
				'for'              => $id,
				'no_delete'        => false,
				'no_edit'          => false,
				'no_share'         => false,
				'no_download'      => false,
				'share_expires_in' => 0,
			)
		);
	}
	return '<div ' . get_block_wrapper_attributes() . '>' . $html . '</div>';
}

/**
 * What the editor shows in place of the live elements.
 *
 * @param string               $room       The room id.
 * @param array<string, mixed> $attributes The block's attributes.
 * @return string
 */
function ov_live_elements_block_preview( $room, $attributes ) {
	$parts = array( __( 'the room', 'ov-live-elements' ) );
	if ( $attributes['snapshotButton'] ?? true ) {
		$parts[] = __( 'a snapshot button', 'ov-live-elements' );
	}
	if ( $attributes['clipList'] ?? true ) {
		$parts[] = __( 'the clip list', 'ov-live-elements' );
	}
	$server = ov_live_elements_server_url();
	return '<div class="ov-live-elements-preview" style="border:1px dashed currentColor;padding:1em">'
		. '<strong>' . esc_html(
			/* translators: %s: the room's name. */
			sprintf( __( 'Live room “%s”', 'ov-live-elements' ), $room )
		) . '</strong><br>'
		. esc_html(
			/* translators: %s: a list such as "the room, a snapshot button, the clip list". */
			sprintf( __( 'Shown on the page: %s.', 'ov-live-elements' ), implode( ', ', $parts ) )
		) . '<br>'
		. ( '' === $server
			? esc_html__( 'Set the server address in Settings → OV Live Elements.', 'ov-live-elements' )
			/* translators: %s: the server's address. */
			: esc_html( sprintf( __( 'Served by %s.', 'ov-live-elements' ), $server ) ) )
		. '</div>';
}
