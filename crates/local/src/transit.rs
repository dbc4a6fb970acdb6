//! Local transit keys: versioned AES-256-GCM and Ed25519 keys sealed under the store's
//! data key, with Vault's text forms (`local:v<N>:<base64>`) for ciphertexts and signatures.
//! `transit_keys` stores and authenticates the keys; this module does the cryptography.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, SigningKey, Verifier};
use hmac::{Hmac, Mac};
use ironsecrets_core::{
    Ciphertext, DataKey, Error, ErrorKind, KeyInfo, KeyOptions, KeyType, Operation, Result,
    SecretValue, Signature, Transit, TransitCapabilities,
};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::LocalStore;
use crate::crypto::{self, Key};
use crate::ctx::Ctx;
use crate::rbac::Access;
use crate::transit_keys::{self, read_info};

const PREFIX: &str = "local";
const MAX_NAME_LEN: usize = 128;

/// A key version's material: the algorithm key and a separate HMAC key.
struct Material {
    key: Zeroizing<Vec<u8>>,
    hmac: Zeroizing<Vec<u8>>,
}

impl Material {
    fn generate() -> Self {
        Material::with_key(crypto::random_array::<32>().to_vec())
    }

    fn with_key(key: Vec<u8>) -> Self {
        Material {
            key: Zeroizing::new(key),
            hmac: Zeroizing::new(crypto::random_array::<32>().to_vec()),
        }
    }

    fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new([self.key.as_slice(), self.hmac.as_slice()].concat())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 64 {
            return Err(Error::integrity("a transit key's material is damaged"));
        }
        Ok(Material {
            key: Zeroizing::new(bytes[..32].to_vec()),
            hmac: Zeroizing::new(bytes[32..].to_vec()),
        })
    }

    fn aes(&self) -> Result<Key> {
        Key::from_slice(&self.key)
    }

    fn signing(&self) -> Result<SigningKey> {
        let seed: [u8; 32] = self
            .key
            .as_slice()
            .try_into()
            .map_err(|_| Error::integrity("bad key seed"))?;
        Ok(SigningKey::from_bytes(&seed))
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "transit key names are 1 to {MAX_NAME_LEN} characters of A-Z, a-z, 0-9, '-', '_' or '.'"
        )))
    }
}

fn supported(key_type: KeyType) -> Result<()> {
    match key_type {
        KeyType::Aes256Gcm96 | KeyType::Ed25519 => Ok(()),
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!("local transit supports aes256-gcm96 and ed25519 keys, not {other}"),
        )),
    }
}

fn add_version(ctx: &Ctx<'_>, name: &str, version: u32, material: &Material) -> Result<()> {
    transit_keys::add_version(ctx, name, version, &material.to_bytes())
}

fn material(ctx: &Ctx<'_>, name: &str, version: u32) -> Result<Material> {
    Material::from_bytes(&transit_keys::material(ctx, name, version)?)
}

fn create(ctx: &Ctx<'_>, name: &str, options: &KeyOptions, material: Material) -> Result<KeyInfo> {
    supported(options.key_type)?;
    transit_keys::insert(ctx, name, options)?;
    add_version(ctx, name, 1, &material)?;
    read_info(ctx, name)
}

/// Checks that `version` may still be used for decryption or verification.
fn usable_version(info: &KeyInfo, version: u32) -> Result<()> {
    if version < info.min_decryption_version {
        return Err(Error::invalid_input(format!(
            "version {version} of key '{}' is older than its min_decryption_version {}",
            info.name, info.min_decryption_version
        )));
    }
    if version > info.latest_version {
        return Err(Error::invalid_input(format!(
            "key '{}' has no version {version} (latest is {})",
            info.name, info.latest_version
        )));
    }
    Ok(())
}

fn require_type(info: &KeyInfo, wanted: KeyType, what: &str) -> Result<()> {
    if info.key_type == wanted {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "key '{}' is {} and cannot {what}",
            info.name, info.key_type
        )))
    }
}

fn decode(payload: &str) -> Result<Vec<u8>> {
    B64.decode(payload)
        .map_err(|_| Error::invalid_input("the ciphertext or signature is not valid base64"))
}

fn cipher_aad(name: &str, context: Option<&[u8]>) -> Vec<u8> {
    crypto::aad(&[name.as_bytes(), context.unwrap_or_default()])
}

fn encrypt_in(
    ctx: &Ctx<'_>,
    name: &str,
    plaintext: &[u8],
    context: Option<&[u8]>,
) -> Result<Ciphertext> {
    let info = read_info(ctx, name)?;
    require_type(&info, KeyType::Aes256Gcm96, "encrypt")?;
    let key = material(ctx, name, info.latest_version)?.aes()?;
    let sealed = crypto::seal(&key, &cipher_aad(name, context), plaintext);
    Ok(Ciphertext::compose(
        PREFIX,
        info.latest_version,
        &B64.encode(sealed),
    ))
}

fn decrypt_in(
    ctx: &Ctx<'_>,
    name: &str,
    ciphertext: &Ciphertext,
    context: Option<&[u8]>,
) -> Result<SecretValue> {
    let info = read_info(ctx, name)?;
    require_type(&info, KeyType::Aes256Gcm96, "decrypt")?;
    let (version, payload) = ciphertext.parts()?;
    usable_version(&info, version)?;
    let key = material(ctx, name, version)?.aes()?;
    let plain = crypto::open(&key, &cipher_aad(name, context), &decode(payload)?)?;
    Ok(SecretValue::new(plain.as_slice()))
}

fn hmac_with(material: &Material, data: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&material.hmac).expect("HMAC takes any key length");
    mac.update(data);
    mac
}

impl LocalStore {
    async fn transit_op<T, F>(
        &self,
        operation: Operation,
        name: &str,
        access: Access,
        op: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx<'_>, &str) -> Result<T> + Send + 'static,
    {
        check_name(name)?;
        let owned = name.to_owned();
        let durable = access == Access::TransitManage;
        self.run(operation, name, access, durable, move |ctx| op(ctx, &owned))
            .await
    }
}

#[async_trait]
impl Transit for LocalStore {
    fn capabilities(&self) -> TransitCapabilities {
        TransitCapabilities {
            key_types: &[KeyType::Aes256Gcm96, KeyType::Ed25519],
            versioned_ciphertexts: true,
            min_decryption_version: true,
            hmac: true,
            data_keys: true,
            import: true,
        }
    }

    async fn create_key(&self, name: &str, options: KeyOptions) -> Result<KeyInfo> {
        self.transit_op(
            Operation::CreateKey,
            name,
            Access::TransitManage,
            move |ctx, name| create(ctx, name, &options, Material::generate()),
        )
        .await
    }

    async fn read_key(&self, name: &str) -> Result<KeyInfo> {
        self.transit_op(Operation::ReadKey, name, Access::TransitRead, read_info)
            .await
    }

    async fn list_keys(&self) -> Result<Vec<String>> {
        self.run(
            Operation::ListKeys,
            "",
            Access::TransitRead,
            false,
            transit_keys::names,
        )
        .await
    }

    async fn rotate_key(&self, name: &str) -> Result<KeyInfo> {
        self.transit_op(
            Operation::RotateKey,
            name,
            Access::TransitManage,
            |ctx, name| {
                let info = read_info(ctx, name)?;
                add_version(ctx, name, info.latest_version + 1, &Material::generate())?;
                read_info(ctx, name)
            },
        )
        .await
    }

    async fn set_min_decryption_version(&self, name: &str, version: u32) -> Result<KeyInfo> {
        self.transit_op(
            Operation::ConfigureKey,
            name,
            Access::TransitManage,
            move |ctx, name| {
                transit_keys::set_min_decryption_version(ctx, name, version)?;
                read_info(ctx, name)
            },
        )
        .await
    }

    async fn encrypt(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        let (plaintext, context) = (
            Zeroizing::new(plaintext.to_vec()),
            context.map(<[u8]>::to_vec),
        );
        self.transit_op(
            Operation::Encrypt,
            name,
            Access::TransitUse,
            move |ctx, name| encrypt_in(ctx, name, &plaintext, context.as_deref()),
        )
        .await
    }

    async fn decrypt(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue> {
        let (ciphertext, context) = (ciphertext.clone(), context.map(<[u8]>::to_vec));
        self.transit_op(
            Operation::Decrypt,
            name,
            Access::TransitUse,
            move |ctx, name| decrypt_in(ctx, name, &ciphertext, context.as_deref()),
        )
        .await
    }

    async fn rewrap(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        let (ciphertext, context) = (ciphertext.clone(), context.map(<[u8]>::to_vec));
        self.transit_op(
            Operation::Rewrap,
            name,
            Access::TransitUse,
            move |ctx, name| {
                let plain = decrypt_in(ctx, name, &ciphertext, context.as_deref())?;
                encrypt_in(ctx, name, plain.expose(), context.as_deref())
            },
        )
        .await
    }

    async fn sign(&self, name: &str, data: &[u8]) -> Result<Signature> {
        let data = data.to_vec();
        self.transit_op(
            Operation::Sign,
            name,
            Access::TransitUse,
            move |ctx, name| {
                let info = read_info(ctx, name)?;
                require_type(&info, KeyType::Ed25519, "sign")?;
                let signature = material(ctx, name, info.latest_version)?
                    .signing()?
                    .sign(&data);
                Ok(Signature::compose(
                    PREFIX,
                    info.latest_version,
                    &B64.encode(signature.to_bytes()),
                ))
            },
        )
        .await
    }

    async fn verify(&self, name: &str, data: &[u8], signature: &Signature) -> Result<bool> {
        let (data, signature) = (data.to_vec(), signature.clone());
        self.transit_op(
            Operation::Verify,
            name,
            Access::TransitUse,
            move |ctx, name| {
                let info = read_info(ctx, name)?;
                require_type(&info, KeyType::Ed25519, "verify")?;
                let (version, payload) = signature.parts()?;
                usable_version(&info, version)?;
                let Ok(sig) = ed25519_dalek::Signature::from_slice(&decode(payload)?) else {
                    return Ok(false);
                };
                let key = material(ctx, name, version)?.signing()?;
                Ok(key.verifying_key().verify(&data, &sig).is_ok())
            },
        )
        .await
    }

    async fn hmac(&self, name: &str, data: &[u8]) -> Result<Signature> {
        let data = data.to_vec();
        self.transit_op(
            Operation::Hmac,
            name,
            Access::TransitUse,
            move |ctx, name| {
                let info = read_info(ctx, name)?;
                let tag = hmac_with(&material(ctx, name, info.latest_version)?, &data).finalize();
                Ok(Signature::compose(
                    PREFIX,
                    info.latest_version,
                    &B64.encode(tag.into_bytes()),
                ))
            },
        )
        .await
    }

    async fn verify_hmac(&self, name: &str, data: &[u8], hmac: &Signature) -> Result<bool> {
        let (data, hmac) = (data.to_vec(), hmac.clone());
        self.transit_op(
            Operation::VerifyHmac,
            name,
            Access::TransitUse,
            move |ctx, name| {
                let info = read_info(ctx, name)?;
                let (version, payload) = hmac.parts()?;
                usable_version(&info, version)?;
                let tag = decode(payload)?;
                Ok(hmac_with(&material(ctx, name, version)?, &data)
                    .verify_slice(&tag)
                    .is_ok())
            },
        )
        .await
    }

    async fn generate_data_key(&self, name: &str, bits: u32) -> Result<DataKey> {
        if !matches!(bits, 128 | 256 | 512) {
            return Err(Error::invalid_input("data keys are 128, 256 or 512 bits"));
        }
        self.transit_op(
            Operation::GenerateDataKey,
            name,
            Access::TransitUse,
            move |ctx, name| {
                let mut bytes = Zeroizing::new(vec![0u8; bits as usize / 8]);
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
                let ciphertext = encrypt_in(ctx, name, &bytes, None)?;
                Ok(DataKey {
                    plaintext: SecretValue::new(bytes.as_slice()),
                    ciphertext,
                })
            },
        )
        .await
    }

    async fn import_key(
        &self,
        name: &str,
        key_type: KeyType,
        key_material: SecretValue,
    ) -> Result<KeyInfo> {
        self.transit_op(
            Operation::ImportKey,
            name,
            Access::TransitManage,
            move |ctx, name| {
                if key_material.len() != 32 {
                    return Err(Error::invalid_input(format!(
                        "{key_type} key material must be 32 bytes, got {}",
                        key_material.len()
                    )));
                }
                let options = KeyOptions {
                    key_type,
                    exportable: false,
                };
                create(
                    ctx,
                    name,
                    &options,
                    Material::with_key(key_material.expose().to_vec()),
                )
            },
        )
        .await
    }
}
