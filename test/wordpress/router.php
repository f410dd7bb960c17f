<?php
/**
 * Router for PHP's built-in server, doing what Apache's rewrite rules do for WordPress: files and folders with an
 * index.php are served as they are; any other path (pretty permalinks, /wp-json/) goes to WordPress's index.php.
 *
 * @package OV_Live_Elements
 */

$ov_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
$ov_file = $_SERVER['DOCUMENT_ROOT'] . $ov_path;
if ( ! str_contains( $ov_path, '..' ) && ( is_file( $ov_file ) || is_file( rtrim( $ov_file, '/' ) . '/index.php' ) ) ) {
	return false;
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
chdir( $_SERVER['DOCUMENT_ROOT'] );
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
