/** Where the packed player project is prepared, relative to the repository. */
export declare const PACK_DIR_NAME: string;
/** Pack both packages and install the tarballs into `<repo>/.tmp/pack-player/player`. */
export declare function preparePackedPlayer(repo: string): void;
