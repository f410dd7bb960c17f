<?php
/**
 * Removes the plugin's option when the plugin is deleted.
 *
 * @package OV_Live_Elements
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'ov_live_elements' );
