<?php
/**
 * Shortcodes: [ov_live_room], [ov_clip_list], [ov_snapshot_button].
 *
 * @package OV_Live_Elements
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shortcode attributes with flags normalized: `[ov_live_room autojoin]` gives the positional value 'autojoin',
 * which becomes `autojoin => 'true'`.
 *
 * @param array<string, string>|string $atts      The attributes as WordPress parsed them.
 * @param array<string, mixed>         $defaults  The known attributes and their defaults.
 * @param string                       $shortcode The shortcode's name (for the shortcode_atts_{$shortcode} filter).
 * @return array<string, mixed>
 */
function ov_live_elements_shortcode_atts( $atts, $defaults, $shortcode ) {
	$normalized = array();
	foreach ( (array) $atts as $key => $value ) {
		if ( is_int( $key ) ) {
			$normalized[ strtolower( (string) $value ) ] = 'true';
		} else {
			$normalized[ $key ] = $value;
		}
	}
	return shortcode_atts( $defaults, $normalized, $shortcode );
}

/**
 * A flag's value: 'true', '1', 'yes', 'on' (or the bare name) are true.
 *
 * @param mixed $value The attribute's value.
 * @return bool
 */
function ov_live_elements_flag( $value ) {
	return true === $value || in_array( strtolower( trim( (string) $value ) ), array( 'true', '1', 'yes', 'on' ), true );
}

/**
 * A room id from an attribute, or the default room when it is empty or invalid.
 *
 * @param mixed $value The attribute's value.
 * @return string
 */
function ov_live_elements_room_or_default( $value ) {
	$room = trim( (string) $value );
	if ( ov_live_elements_valid_room( $room ) ) {
		return $room;
	}
	$default = (string) ov_live_elements_options()['default_room'];
	return ov_live_elements_valid_room( $default ) ? $default : 'lobby';
}

/**
 * An element id: letters, digits, `_`, `-`, `:` and `.`, as sanitize_html_class would leave, or ''.
 *
 * @param mixed $value The attribute's value.
 * @return string
 */
function ov_live_elements_element_id( $value ) {
	return substr( (string) preg_replace( '/[^A-Za-z0-9_:.-]/', '', (string) $value ), 0, 100 );
}

/**
 * [ov_live_room room="team" id="room" autojoin replay screen_share="auto|on|off" no_audio no_video]
 *
 * @param array<string, string>|string $atts The shortcode's attributes.
 * @return string
 */
function ov_live_elements_live_room_shortcode( $atts ) {
	$a      = ov_live_elements_shortcode_atts(
		$atts,
		array(
			'room'         => '',
			'id'           => '',
			'autojoin'     => 'false',
			'replay'       => 'false',
			'screen_share' => 'auto',
			'no_audio'     => 'false',
			'no_video'     => 'false',
		),
		'ov_live_room'
	);
	$id     = ov_live_elements_element_id( $a['id'] );
	$screen = strtolower( (string) $a['screen_share'] );
	return ov_live_elements_room_html(
		array(
			'room'         => ov_live_elements_room_or_default( $a['room'] ),
			'id'           => '' === $id ? wp_unique_id( 'ov-room-' ) : $id,
			'autojoin'     => ov_live_elements_flag( $a['autojoin'] ),
			'replay'       => ov_live_elements_flag( $a['replay'] ),
			'screen_share' => in_array( $screen, array( 'auto', 'on', 'off' ), true ) ? $screen : 'auto',
			'no_audio'     => ov_live_elements_flag( $a['no_audio'] ),
			'no_video'     => ov_live_elements_flag( $a['no_video'] ),
		)
	);
}

/**
 * [ov_clip_list for="room"] (linked to a room on the page) or [ov_clip_list room="team"] (standalone, read-only),
 * with no_delete, no_edit, no_share, no_download, share_expires_in="604800".
 *
 * @param array<string, string>|string $atts The shortcode's attributes.
 * @return string
 */
function ov_live_elements_clip_list_shortcode( $atts ) {
	$a = ov_live_elements_shortcode_atts(
		$atts,
		array(
			'room'             => '',
			'for'              => '',
			'no_delete'        => 'false',
			'no_edit'          => 'false',
			'no_share'         => 'false',
			'no_download'      => 'false',
			'share_expires_in' => '',
		),
		'ov_clip_list'
	);
	return ov_live_elements_clip_list_html(
		array(
			'room'             => ov_live_elements_room_or_default( $a['room'] ),
			'for'              => ov_live_elements_element_id( $a['for'] ),
			'no_delete'        => ov_live_elements_flag( $a['no_delete'] ),
			'no_edit'          => ov_live_elements_flag( $a['no_edit'] ),
			'no_share'         => ov_live_elements_flag( $a['no_share'] ),
			'no_download'      => ov_live_elements_flag( $a['no_download'] ),
			'share_expires_in' => absint( $a['share_expires_in'] ),
		)
	);
}

/**
 * [ov_snapshot_button for="room" format="image/jpeg|image/png|image/webp" quality="0.9"]
 *
 * @param array<string, string>|string $atts The shortcode's attributes.
 * @return string
 */
function ov_live_elements_snapshot_button_shortcode( $atts ) {
	$a       = ov_live_elements_shortcode_atts(
		$atts,
		array(
			'for'     => '',
			'format'  => '',
			'quality' => '',
		),
		'ov_snapshot_button'
	);
	$format  = strtolower( (string) $a['format'] );
	$quality = is_numeric( $a['quality'] ) ? (float) $a['quality'] : -1;
	return ov_live_elements_snapshot_button_html(
		array(
			'for'     => ov_live_elements_element_id( $a['for'] ),
			'format'  => in_array( $format, array( 'image/jpeg', 'image/png', 'image/webp' ), true ) ? $format : '',
			'quality' => $quality >= 0 && $quality <= 1 ? (string) $quality : '',
		)
	);
}

/**
 * Registers the shortcodes.
 */
function ov_live_elements_register_shortcodes() {
	add_shortcode( 'ov_live_room', 'ov_live_elements_live_room_shortcode' );
	add_shortcode( 'ov_clip_list', 'ov_live_elements_clip_list_shortcode' );
	add_shortcode( 'ov_snapshot_button', 'ov_live_elements_snapshot_button_shortcode' );
}
add_action( 'init', 'ov_live_elements_register_shortcodes' );
