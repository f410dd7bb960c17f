<?php
/**
 * POST /wp-json/ov-live-elements/v1/token/<room>: a token from the reference server, asked with the shared secret.
 * WordPress decides who joins, with which name and what they may do; the browser's {name, role} is ignored.
 *
 * @package OV_Live_Elements
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers the token route.
 */
function ov_live_elements_register_rest_routes() {
	register_rest_route(
		'ov-live-elements/v1',
		'/token/(?P<room>[A-Za-z0-9_-]{1,64})',
		array(
			'methods'             => 'POST',
			'callback'            => 'ov_live_elements_rest_token',
			'permission_callback' => 'ov_live_elements_rest_token_permission',
			'args'                => array(
				'room' => array(
					'type'              => 'string',
					'required'          => true,
					'validate_callback' => 'ov_live_elements_rest_valid_room',
				),
			),
		)
	);
}
add_action( 'rest_api_init', 'ov_live_elements_register_rest_routes' );

/**
 * The room argument's validation.
 *
 * @param mixed $value The room id.
 * @return bool
 */
function ov_live_elements_rest_valid_room( $value ) {
	return ov_live_elements_valid_room( $value );
}

/**
 * Logged-in users may always ask (to watch at least); visitors only when guests may watch or join. With cookie
 * authentication, a logged-in user whose request lacks the `wp_rest` nonce counts as a visitor.
 *
 * @return true|WP_Error
 */
function ov_live_elements_rest_token_permission() {
	if ( ov_live_elements_abilities()['watch'] ) {
		return true;
	}
	return new WP_Error( 'ov_live_elements_forbidden', __( 'Log in to join this live room.', 'ov-live-elements' ), array( 'status' => 403 ) );
}

/**
 * What the reference server is asked for: `{screenGrant}` as the browser sent it (the server checks it), or the
 * participant WordPress decides.
 *
 * @param WP_REST_Request $request The request.
 * @param bool            $trusted Whether the server trusts this site (a backend secret is set): only then does
 *                                 it accept `permissions`.
 * @return array<string, mixed>|WP_Error
 */
function ov_live_elements_token_body( $request, $trusted ) {
	$params = $request->get_json_params();
	if ( is_array( $params ) && array_key_exists( 'screenGrant', $params ) ) {
		$grant = $params['screenGrant'];
		if ( ! is_string( $grant ) || '' === $grant || strlen( $grant ) > 2048 ) {
			return new WP_Error( 'ov_live_elements_bad_grant', __( 'The screen grant is not valid.', 'ov-live-elements' ), array( 'status' => 400 ) );
		}
		return array( 'screenGrant' => $grant );
	}
	$user = wp_get_current_user();
	$can  = ov_live_elements_abilities( $user );
	$name = $user->exists()
		? mb_substr( $user->display_name, 0, 100 )
		/* translators: %s: four random digits. */
		: sprintf( __( 'Guest %s', 'ov-live-elements' ), (string) wp_rand( 1000, 9999 ) );
	$body = array(
		'name' => $name,
		'role' => $can['join'] ? 'publisher' : 'subscriber',
	);
	if ( $trusted ) {
		$body['permissions'] = array_keys( array_filter( array( 'clip' => $can['clip'], 'snapshot' => $can['snapshot'] ) ) );
	}
	return $body;
}

/**
 * Asks the reference server for a token and answers with its status and JSON body (token, screenGrant, access, or
 * its error); 502 when it cannot be reached or does not answer JSON. The secret never leaves this request.
 *
 * @param WP_REST_Request $request The request.
 * @return WP_REST_Response|WP_Error
 */
function ov_live_elements_rest_token( $request ) {
	if ( ov_live_elements_rate_limited() ) {
		return new WP_Error( 'ov_live_elements_rate_limited', __( 'Too many requests: try again in a minute.', 'ov-live-elements' ), array( 'status' => 429 ) );
	}
	$server = ov_live_elements_server_url();
	if ( '' === $server ) {
		return new WP_Error( 'ov_live_elements_not_configured', __( 'The live room server is not set up.', 'ov-live-elements' ), array( 'status' => 503 ) );
	}
	$secret = (string) ov_live_elements_options()['backend_secret'];
	$body   = ov_live_elements_token_body( $request, '' !== $secret );
	if ( is_wp_error( $body ) ) {
		return $body;
	}
	$headers = array( 'Content-Type' => 'application/json' );
	if ( '' !== $secret ) {
		$headers['Authorization'] = 'Bearer ' . $secret;
	}
	// wp_remote_post, not wp_safe_remote_post: the administrator set this address, and it may well be a local one.
	$response = wp_remote_post(
		$server . '/api/sessions/' . rawurlencode( (string) $request['room'] ) . '/token',
		array(
			'headers'     => $headers,
			'body'        => wp_json_encode( $body ),
			'timeout'     => 15,
			'redirection' => 0,
		)
	);
	$status = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
	$data   = is_wp_error( $response ) ? null : json_decode( wp_remote_retrieve_body( $response ), true );
	if ( $status < 200 || $status > 599 || ! is_array( $data ) ) {
		return new WP_Error( 'ov_live_elements_unreachable', __( 'The live room server could not be reached.', 'ov-live-elements' ), array( 'status' => 502 ) );
	}
	$answer = new WP_REST_Response( $data, $status );
	$answer->header( 'Cache-Control', 'no-store' );
	return $answer;
}

/**
 * Whether this visitor's address has asked for too many tokens this minute. The reference server does not limit its
 * trusted backend per address (every visitor arrives through this site), so the site does. The limit, 30 a minute by
 * default, can be changed with the `ov_live_elements_tokens_per_minute` filter (0: no limit).
 *
 * @return bool
 */
function ov_live_elements_rate_limited() {
	$limit = (int) apply_filters( 'ov_live_elements_tokens_per_minute', 30 );
	if ( $limit <= 0 ) {
		return false;
	}
	$address = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
	$key     = 'ov_live_elements_rate_' . md5( $address . '|' . gmdate( 'YmdHi' ) );
	$count   = (int) get_transient( $key );
	if ( $count >= $limit ) {
		return true;
	}
	set_transient( $key, $count + 1, 2 * MINUTE_IN_SECONDS );
	return false;
}
