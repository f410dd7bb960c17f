<?php
/**
 * The plugin's option and what the current user may do.
 *
 * @package OV_Live_Elements
 */

defined( 'ABSPATH' ) || exit;

/**
 * The option's defaults.
 *
 * @return array<string, mixed>
 */
function ov_live_elements_defaults() {
	return array(
		'server_url'     => '',
		'backend_secret' => '',
		'default_room'   => 'lobby',
		'guests'         => 'none',
		'roles_join'     => array( 'administrator', 'editor', 'author' ),
		'roles_clip'     => array( 'administrator', 'editor' ),
		'roles_snapshot' => array( 'administrator', 'editor', 'author' ),
	);
}

/**
 * The option `ov_live_elements`, with every key present.
 *
 * @return array<string, mixed>
 */
function ov_live_elements_options() {
	$stored = get_option( 'ov_live_elements', array() );
	return array_merge( ov_live_elements_defaults(), is_array( $stored ) ? $stored : array() );
}

/**
 * Whether a room id is valid for the reference server: 1–64 letters, digits, `_` or `-`.
 *
 * @param mixed $room The room id.
 * @return bool
 */
function ov_live_elements_valid_room( $room ) {
	return is_string( $room ) && 1 === preg_match( '/^[A-Za-z0-9_-]{1,64}$/', $room );
}

/**
 * The reference server's base URL without a trailing slash ('' when not set).
 *
 * @return string
 */
function ov_live_elements_server_url() {
	return untrailingslashit( (string) ov_live_elements_options()['server_url'] );
}

/**
 * What a user may do in a room. Administrators (manage_options) may everything; other users by their roles;
 * visitors who are not logged in by the `guests` setting.
 *
 * @param WP_User|null $user The user, or null for the current one.
 * @return array{watch: bool, join: bool, clip: bool, snapshot: bool}
 */
function ov_live_elements_abilities( $user = null ) {
	$user    = $user ? $user : wp_get_current_user();
	$options = ov_live_elements_options();
	if ( ! $user->exists() ) {
		$guests = $options['guests'];
		return array(
			'watch'    => 'watch' === $guests || 'join' === $guests,
			'join'     => 'join' === $guests,
			'clip'     => false,
			'snapshot' => false,
		);
	}
	if ( user_can( $user, 'manage_options' ) ) {
		return array(
			'watch'    => true,
			'join'     => true,
			'clip'     => true,
			'snapshot' => true,
		);
	}
	$roles = (array) $user->roles;
	return array(
		'watch'    => true,
		'join'     => (bool) array_intersect( $roles, (array) $options['roles_join'] ),
		'clip'     => (bool) array_intersect( $roles, (array) $options['roles_clip'] ),
		'snapshot' => (bool) array_intersect( $roles, (array) $options['roles_snapshot'] ),
	);
}
