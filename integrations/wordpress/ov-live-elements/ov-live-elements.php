<?php
/**
 * Plugin Name:       OV Live Elements
 * Description:       Live video rooms with instant clips and snapshots in posts and pages: a block and the shortcodes [ov_live_room], [ov_clip_list] and [ov_snapshot_button], served by the ov-live-elements reference server. Tokens are minted by WordPress, so the server's secret never reaches the browser.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * License:           Apache-2.0
 * License URI:       https://www.apache.org/licenses/LICENSE-2.0
 * Text Domain:       ov-live-elements
 *
 * @package OV_Live_Elements
 */

defined( 'ABSPATH' ) || exit;

define( 'OV_LIVE_ELEMENTS_VERSION', '0.1.0' );
define( 'OV_LIVE_ELEMENTS_FILE', __FILE__ );
define( 'OV_LIVE_ELEMENTS_DIR', __DIR__ );

require_once __DIR__ . '/includes/options.php';
require_once __DIR__ . '/includes/render.php';
require_once __DIR__ . '/includes/rest.php';
require_once __DIR__ . '/includes/shortcodes.php';
require_once __DIR__ . '/includes/block.php';

if ( is_admin() ) {
	require_once __DIR__ . '/includes/settings.php';
}

