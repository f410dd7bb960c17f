<?php
/**
 * The elements' markup, and the bundle enqueued on the pages that render them.
 *
 * @package OV_Live_Elements
 */

defined( 'ABSPATH' ) || exit;

/**
 * Enqueues the reference server's bundle as a module script, once per page, only when an element is rendered.
 * WordPress 6.5+ has script modules; before, a classic script whose tag gets type="module".
 */
function ov_live_elements_enqueue_bundle() {
	$src = ov_live_elements_server_url() . '/ov-live-elements.js';
	if ( function_exists( 'wp_enqueue_script_module' ) ) {
		// No version: the bundle loads its parts from beside itself, and the server sets its caching.
		wp_enqueue_script_module( 'ov-live-elements', $src, array(), null );
		return;
	}
	wp_enqueue_script( 'ov-live-elements', $src, array(), null, true );
}

/**
 * Marks the fallback classic script as a module script.
 *
 * @param string $tag    The script tag.
 * @param string $handle The script's handle.
 * @return string
 */
function ov_live_elements_module_tag( $tag, $handle ) {
	if ( 'ov-live-elements' !== $handle ) {
		return $tag;
	}
	$tag = preg_replace( '/\stype=(["\'])text\/javascript\1/', '', $tag );
	return str_replace( '<script ', '<script type="module" ', $tag );
}
add_filter( 'script_loader_tag', 'ov_live_elements_module_tag', 10, 2 );

/**
 * Builds an element's start and end tags. Attribute values are escaped here; `true` gives a boolean attribute and
 * `false`, `null` or '' leave the attribute out.
 *
 * @param string               $tag        The element's name.
 * @param array<string, mixed> $attributes Attribute name => value.
 * @return string
 */
function ov_live_elements_tag( $tag, $attributes ) {
	$html = '<' . $tag;
	foreach ( $attributes as $name => $value ) {
		if ( true === $value ) {
			$html .= ' ' . $name;
		} elseif ( false !== $value && null !== $value && '' !== $value ) {
			$escaped = in_array( $name, array( 'api', 'token-endpoint' ), true ) ? esc_url( (string) $value ) : esc_attr( (string) $value );
			$html   .= ' ' . $name . '="' . $escaped . '"';
		}
	}
	return $html . '></' . $tag . '>';
}

/**
 * The URL the room asks for its tokens: this site's REST route, with the REST nonce that cookie authentication needs.
 *
 * @param string $room The room id.
 * @return string
 */
function ov_live_elements_token_endpoint( $room ) {
	return add_query_arg( '_wpnonce', wp_create_nonce( 'wp_rest' ), rest_url( 'ov-live-elements/v1/token/' . $room ) );
}

/**
 * A note for administrators (only) where the plugin is not set up; nothing for others.
 *
 * @return string
 */
function ov_live_elements_not_configured() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return '';
	}
	return '<p class="ov-live-elements-notice">' . sprintf(
		/* translators: %s: link to the settings page. */
		esc_html__( 'OV Live Elements: set the server address in %s.', 'ov-live-elements' ),
		'<a href="' . esc_url( admin_url( 'options-general.php?page=ov-live-elements' ) ) . '">' . esc_html__( 'Settings → OV Live Elements', 'ov-live-elements' ) . '</a>'
	) . '</p>';
}

/**
 * `<ov-live-room>` for the current user, or a log-in prompt for visitors when guests may not watch.
 *
 * @param array<string, mixed> $args room, id, autojoin, replay, screen_share, no_audio, no_video.
 * @return string
 */
function ov_live_elements_room_html( $args ) {
	if ( '' === ov_live_elements_server_url() ) {
		return ov_live_elements_not_configured();
	}
	$can = ov_live_elements_abilities();
	if ( ! $can['watch'] ) {
		return '<p class="ov-live-elements-login"><a href="' . esc_url( wp_login_url( (string) get_permalink() ) ) . '">'
			. esc_html__( 'Log in to join this live room.', 'ov-live-elements' ) . '</a></p>';
	}
	ov_live_elements_enqueue_bundle();
	$user = wp_get_current_user();
	return ov_live_elements_tag(
		'ov-live-room',
		array(
			'id'               => $args['id'],
			'session'          => $args['room'],
			'api'              => ov_live_elements_server_url() . '/api',
			'token-endpoint'   => ov_live_elements_token_endpoint( $args['room'] ),
			// Shown before joining; the name others see is the one the token route gives.
			'name'             => $user->exists() ? $user->display_name : '',
			'participant-role' => $can['join'] ? '' : 'subscriber',
			'autojoin'         => (bool) $args['autojoin'],
			'replay'           => $can['clip'] && $args['replay'],
			'no-clips'         => ! $can['clip'],
			'screen-share'     => 'auto' === $args['screen_share'] ? '' : $args['screen_share'],
			'no-audio'         => (bool) $args['no_audio'],
			'no-video'         => (bool) $args['no_video'],
		)
	);
}

/**
 * `<ov-clip-list>`. Changing clips (delete, rename, trim, share) needs the room's access pass: only a list linked to
 * a room on the page (`for`) has it, and only for users who may clip.
 *
 * @param array<string, mixed> $args room, for, no_delete, no_edit, no_share, no_download, share_expires_in.
 * @return string
 */
function ov_live_elements_clip_list_html( $args ) {
	if ( '' === ov_live_elements_server_url() || ! ov_live_elements_abilities()['watch'] ) {
		return '';
	}
	ov_live_elements_enqueue_bundle();
	$edit = ov_live_elements_abilities()['clip'] && '' !== $args['for'];
	return ov_live_elements_tag(
		'ov-clip-list',
		array(
			'for'              => $args['for'],
			'session'          => '' === $args['for'] ? $args['room'] : '',
			'api'              => '' === $args['for'] ? ov_live_elements_server_url() . '/api' : '',
			'no-delete'        => ! $edit || $args['no_delete'],
			'no-edit'          => ! $edit || $args['no_edit'],
			'no-share'         => ! $edit || $args['no_share'],
			'no-download'      => (bool) $args['no_download'],
			'share-expires-in' => $args['share_expires_in'] ? (string) $args['share_expires_in'] : '',
		)
	);
}

/**
 * `<ov-snapshot-button>` linked to a room on the page; nothing for users who may not take snapshots.
 *
 * @param array<string, mixed> $args for, format, quality.
 * @return string
 */
function ov_live_elements_snapshot_button_html( $args ) {
	if ( '' === ov_live_elements_server_url() || '' === $args['for'] || ! ov_live_elements_abilities()['snapshot'] ) {
		return '';
	}
	ov_live_elements_enqueue_bundle();
	return ov_live_elements_tag(
		'ov-snapshot-button',
		array(
			'for'     => $args['for'],
			'format'  => $args['format'],
			'quality' => $args['quality'],
		)
	);
}
