<?php
/**
 * Sets up the test site from nothing, headless: `php setup.php install` installs WordPress (its tables, the
 * administrator); `php setup.php configure` activates the plugin, sets its option, makes the editor and the page with
 * the block. Both read their settings as JSON on stdin; `configure` prints what it made as JSON.
 *
 * @package OV_Live_Elements
 */

$phase = $argv[1] ?? '';
$cfg   = json_decode( stream_get_contents( STDIN ), true );
// What a web request would have: WordPress reads the host when it writes its first options and e-mails.
$_SERVER['HTTP_HOST']   = wp_test_host( $cfg['url'] );
$_SERVER['SERVER_NAME'] = parse_url( $cfg['url'], PHP_URL_HOST );

/**
 * The `host:port` part of a URL.
 *
 * @param string $url The URL.
 * @return string
 */
function wp_test_host( $url ) {
	$parts = parse_url( $url );
	return $parts['host'] . ( isset( $parts['port'] ) ? ':' . $parts['port'] : '' );
}

if ( 'install' === $phase ) {
	define( 'WP_INSTALLING', true );
	require $cfg['docroot'] . '/wp-load.php';
	// No mail server here: the "your new site" e-mail is not sent.
	function wp_new_blog_notification() {} // phpcs:ignore
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	$result = wp_install( 'OV Live Elements', 'admin', 'admin@example.test', false, '', wp_slash( $cfg['admin_password'] ), 'en_US' );
	if ( is_wp_error( $result ) ) {
		fwrite( STDERR, $result->get_error_message() . "\n" );
		exit( 1 );
	}
	echo wp_json_encode( array( 'installed' => true ) );
	exit( 0 );
}

if ( 'configure' !== $phase ) {
	fwrite( STDERR, "usage: php setup.php install|configure < settings.json\n" );
	exit( 2 );
}

require $cfg['docroot'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

/**
 * Stops with a message on stderr when a step failed.
 *
 * @param mixed  $result The step's result.
 * @param string $what   What the step was.
 * @return mixed The result.
 */
function wp_test_check( $result, $what ) {
	if ( is_wp_error( $result ) || false === $result || 0 === $result ) {
		fwrite( STDERR, $what . ': ' . ( is_wp_error( $result ) ? $result->get_error_message() : 'failed' ) . "\n" );
		exit( 1 );
	}
	return $result;
}

// Pretty permalinks, as most sites have them: the REST API at /wp-json/ (the router sends unknown paths to index.php).
global $wp_rewrite;
$wp_rewrite->set_permalink_structure( '/%postname%/' );
flush_rewrite_rules( false );

$activated = activate_plugin( $cfg['plugin'] ); // null when activated.
wp_test_check( null === $activated ? true : $activated, 'activating the plugin' );
update_option( 'ov_live_elements', $cfg['options'] );

$editor_id = wp_test_check(
	wp_insert_user(
		array(
			'user_login'   => 'editor',
			'user_pass'    => $cfg['editor_password'],
			'user_email'   => 'editor@example.test',
			'display_name' => $cfg['editor_name'],
			'role'         => 'editor',
		)
	),
	'creating the editor'
);

$page_id = wp_test_check(
	wp_insert_post(
		array(
			'post_type'    => 'page',
			'post_status'  => 'publish',
			'post_title'   => 'Live room',
			'post_name'    => 'live-room',
			'post_author'  => $editor_id,
			'post_content' => $cfg['content'],
		),
		true
	),
	'creating the page'
);

echo wp_json_encode(
	array(
		'page'    => get_permalink( $page_id ),
		'active'  => is_plugin_active( $cfg['plugin'] ),
		'rest'    => rest_url( 'ov-live-elements/v1/token/' . 'wp-room' ),
		'version' => get_bloginfo( 'version' ),
	)
);
