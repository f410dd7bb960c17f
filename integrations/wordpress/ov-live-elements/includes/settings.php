<?php
/**
 * Settings → OV Live Elements: the server, the shared secret, the default room, guests and roles.
 * Saved through options.php (Settings API): its nonce and the manage_options capability guard the form.
 *
 * @package OV_Live_Elements
 */

defined( 'ABSPATH' ) || exit;

/**
 * Adds the page under Settings.
 */
function ov_live_elements_admin_menu() {
	add_options_page(
		__( 'OV Live Elements', 'ov-live-elements' ),
		__( 'OV Live Elements', 'ov-live-elements' ),
		'manage_options',
		'ov-live-elements',
		'ov_live_elements_settings_page'
	);
}
add_action( 'admin_menu', 'ov_live_elements_admin_menu' );

/**
 * Registers the option, its section and fields.
 */
function ov_live_elements_register_settings() {
	register_setting(
		'ov_live_elements',
		'ov_live_elements',
		array(
			'type'              => 'array',
			'sanitize_callback' => 'ov_live_elements_sanitize_options',
			'default'           => ov_live_elements_defaults(),
			'show_in_rest'      => false,
		)
	);
	add_settings_section( 'ov_live_elements_server', __( 'Server', 'ov-live-elements' ), '__return_false', 'ov-live-elements' );
	add_settings_section( 'ov_live_elements_people', __( 'Who may do what', 'ov-live-elements' ), 'ov_live_elements_people_intro', 'ov-live-elements' );
	$fields = array(
		'server_url'     => array( __( 'Server address', 'ov-live-elements' ), 'ov_live_elements_server' ),
		'backend_secret' => array( __( 'Backend secret', 'ov-live-elements' ), 'ov_live_elements_server' ),
		'default_room'   => array( __( 'Default room', 'ov-live-elements' ), 'ov_live_elements_server' ),
		'guests'         => array( __( 'Visitors not logged in', 'ov-live-elements' ), 'ov_live_elements_people' ),
		'roles_join'     => array( __( 'Join with camera and microphone', 'ov-live-elements' ), 'ov_live_elements_people' ),
		'roles_clip'     => array( __( 'Record clips', 'ov-live-elements' ), 'ov_live_elements_people' ),
		'roles_snapshot' => array( __( 'Take snapshots', 'ov-live-elements' ), 'ov_live_elements_people' ),
	);
	foreach ( $fields as $key => $field ) {
		add_settings_field(
			'ov_live_elements_' . $key,
			$field[0],
			'ov_live_elements_field',
			'ov-live-elements',
			$field[1],
			array(
				'key'       => $key,
				'label_for' => str_starts_with( $key, 'roles_' ) || 'guests' === $key ? null : 'ov_live_elements_' . $key,
			)
		);
	}
}
add_action( 'admin_init', 'ov_live_elements_register_settings' );

/**
 * The people section's introduction.
 */
function ov_live_elements_people_intro() {
	echo '<p>' . esc_html__( 'Administrators may always do everything. Logged-in users whose role is not ticked below watch without camera or microphone.', 'ov-live-elements' ) . '</p>';
}

/**
 * One settings field.
 *
 * @param array{key: string} $args The field's key.
 */
function ov_live_elements_field( $args ) {
	$key     = $args['key'];
	$options = ov_live_elements_options();
	$name    = 'ov_live_elements[' . $key . ']';
	$id      = 'ov_live_elements_' . $key;
	switch ( $key ) {
		case 'server_url':
			printf( '<input type="url" class="regular-text code" id="%s" name="%s" value="%s" placeholder="https://live.example.com">', esc_attr( $id ), esc_attr( $name ), esc_attr( $options['server_url'] ) );
			echo '<p class="description">' . esc_html__( 'The reference server that serves the elements and hands out tokens.', 'ov-live-elements' ) . '</p>';
			ov_live_elements_health_note( ov_live_elements_server_url() );
			break;
		case 'backend_secret':
			// Write-only: the secret is never printed back; an empty field keeps it.
			printf( '<input type="password" class="regular-text code" id="%s" name="%s" value="" autocomplete="new-password">', esc_attr( $id ), esc_attr( $name ) );
			echo '<p class="description">' . ( '' === $options['backend_secret']
				? esc_html__( 'Not set. The same value as BACKEND_SECRET on the server: at least 32 visible characters.', 'ov-live-elements' )
				: esc_html__( 'Set. Leave empty to keep it; type a new one to replace it.', 'ov-live-elements' ) ) . '</p>';
			break;
		case 'default_room':
			printf( '<input type="text" class="regular-text code" id="%s" name="%s" value="%s" pattern="[A-Za-z0-9_\-]{1,64}" maxlength="64">', esc_attr( $id ), esc_attr( $name ), esc_attr( $options['default_room'] ) );
			echo '<p class="description">' . esc_html__( 'For blocks and shortcodes that name no room: 1–64 letters, digits, _ or -.', 'ov-live-elements' ) . '</p>';
			break;
		case 'guests':
			$choices = array(
				'none'  => __( 'See a link to log in', 'ov-live-elements' ),
				'watch' => __( 'Watch', 'ov-live-elements' ),
				'join'  => __( 'Join with camera and microphone', 'ov-live-elements' ),
			);
			echo '<fieldset>';
			foreach ( $choices as $value => $label ) {
				printf( '<label><input type="radio" name="%s" value="%s"%s> %s</label><br>', esc_attr( $name ), esc_attr( $value ), checked( $options['guests'], $value, false ), esc_html( $label ) );
			}
			echo '</fieldset>';
			break;
		default:
			echo '<fieldset>';
			foreach ( wp_roles()->get_names() as $role => $label ) {
				printf(
					'<label><input type="checkbox" name="%s[]" value="%s"%s> %s</label><br>',
					esc_attr( $name ),
					esc_attr( $role ),
					checked( in_array( $role, (array) $options[ $key ], true ), true, false ),
					esc_html( translate_user_role( $label ) )
				);
			}
			echo '</fieldset>';
	}
}

/**
 * Checks the submitted settings; an invalid value is reported and the saved one kept.
 *
 * @param mixed $input The submitted option.
 * @return array<string, mixed>
 */
function ov_live_elements_sanitize_options( $input ) {
	$old   = ov_live_elements_options();
	// options.php has already unslashed the form's values.
	$input = is_array( $input ) ? $input : array();
	$out   = $old;

	$url = trim( sanitize_text_field( (string) ( $input['server_url'] ?? '' ) ) );
	if ( '' === $url || ( wp_http_validate_url( $url ) && in_array( wp_parse_url( $url, PHP_URL_SCHEME ), array( 'http', 'https' ), true ) ) ) {
		$out['server_url'] = untrailingslashit( esc_url_raw( $url ) );
	} else {
		add_settings_error( 'ov_live_elements', 'server_url', __( 'The server address must be an http:// or https:// URL. The previous one is kept.', 'ov-live-elements' ) );
	}

	$secret = (string) ( $input['backend_secret'] ?? '' );
	if ( '' !== $secret ) {
		if ( 1 === preg_match( '/^[\x21-\x7e]{32,}$/', $secret ) ) {
			$out['backend_secret'] = $secret;
		} else {
			add_settings_error( 'ov_live_elements', 'backend_secret', __( 'The backend secret must be at least 32 visible characters (no spaces). The previous one is kept.', 'ov-live-elements' ) );
		}
	}

	$room = trim( sanitize_text_field( (string) ( $input['default_room'] ?? '' ) ) );
	if ( ov_live_elements_valid_room( $room ) ) {
		$out['default_room'] = $room;
	} else {
		add_settings_error( 'ov_live_elements', 'default_room', __( 'The default room must be 1–64 letters, digits, _ or -. The previous one is kept.', 'ov-live-elements' ) );
	}

	$guests        = sanitize_key( (string) ( $input['guests'] ?? '' ) );
	$out['guests'] = in_array( $guests, array( 'none', 'watch', 'join' ), true ) ? $guests : 'none';

	$roles = array_keys( wp_roles()->get_names() );
	foreach ( array( 'roles_join', 'roles_clip', 'roles_snapshot' ) as $key ) {
		$picked      = isset( $input[ $key ] ) && is_array( $input[ $key ] ) ? array_map( 'sanitize_key', $input[ $key ] ) : array();
		$out[ $key ] = array_values( array_intersect( $roles, $picked ) );
	}
	return $out;
}

/**
 * The answer of <server>/api/health, so an administrator sees at once whether the address is right.
 *
 * @param string $server The server's base URL.
 */
function ov_live_elements_health_note( $server ) {
	if ( '' === $server ) {
		return;
	}
	$response = wp_remote_get( $server . '/api/health', array( 'timeout' => 3 ) );
	$status   = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
	$health   = is_wp_error( $response ) ? null : json_decode( wp_remote_retrieve_body( $response ), true );
	if ( 200 === $status && is_array( $health ) && isset( $health['status'] ) ) {
		$text = 'ok' === $health['status']
			? __( 'Test connection: the server answers, and its OpenVidu is reachable.', 'ov-live-elements' )
			: __( 'Test connection: the server answers, but its OpenVidu is not reachable.', 'ov-live-elements' );
		$ok   = 'ok' === $health['status'];
	} else {
		$text = is_wp_error( $response )
			/* translators: %s: the error message. */
			? sprintf( __( 'Test connection: no answer (%s).', 'ov-live-elements' ), $response->get_error_message() )
			/* translators: %d: an HTTP status code. */
			: sprintf( __( 'Test connection: unexpected answer (HTTP %d).', 'ov-live-elements' ), $status );
		$ok   = false;
	}
	printf( '<p class="ov-live-elements-health" style="color:%s">%s</p>', esc_attr( $ok ? '#007017' : '#b32d2e' ), esc_html( $text ) );
}

/**
 * The settings page. Core prints settings_errors() on pages under Settings (options-head.php), so the form's
 * messages appear above it.
 */
function ov_live_elements_settings_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$origin = wp_parse_url( home_url(), PHP_URL_SCHEME ) . '://' . wp_parse_url( home_url(), PHP_URL_HOST );
	$port   = wp_parse_url( home_url(), PHP_URL_PORT );
	$origin = $port ? $origin . ':' . $port : $origin;
	echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . '</h1>';
	echo '<p>' . sprintf(
		/* translators: 1: BACKEND_SECRET=…, 2: CORS_ORIGINS=<this site's origin>. */
		esc_html__( 'Run the reference server with %1$s (the secret below) and %2$s.', 'ov-live-elements' ),
		'<code>BACKEND_SECRET</code>',
		'<code>CORS_ORIGINS=' . esc_html( $origin ) . '</code>'
	) . '</p>';
	echo '<form action="options.php" method="post">';
	settings_fields( 'ov_live_elements' );
	do_settings_sections( 'ov-live-elements' );
	submit_button();
	echo '</form></div>';
}
